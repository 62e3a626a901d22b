/**
 * The plan's mock runtime hands the SDK a plain Struct (tools/mock-runtime.ts structRoundTrip):
 * it must give exactly what the protobuf round trip gives (values, key order, errors), and the
 * SDK's own Struct and promise helpers must be back in place once a run ends.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { evaluateStack } from "../../tools/evaluate";
import { runUnderMocks, structRoundTrip } from "../../tools/mock-runtime";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const structPb = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [require.resolve("@pulumi/pulumi")] }));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const debuggable = require("@pulumi/pulumi/runtime/debuggable");

/** The protobuf round trip, with the real Struct (whatever runUnderMocks has installed). */
const realFromJavaScript = structPb.Struct.fromJavaScript;
const protobuf = (v: unknown) => realFromJavaScript.call(structPb.Struct, v).toJavaScript();

/** Same values and the same key order at every level (JSON.stringify keeps the order). */
function assertSame(value: unknown): void {
    const want = protobuf(value);
    const got = structRoundTrip(value);
    assert.strictEqual(JSON.stringify(got), JSON.stringify(want));
    assert.deepStrictEqual(got, want);
}

describe("mock runtime: the plain Struct", () => {
    it("gives what Struct.fromJavaScript(v).toJavaScript() gives: a copy, keys sorted at every level", () => {
        const inherited = Object.create({ inheritedKey: "x" });
        inherited.own = 1;
        const cases: unknown[] = [
            { b: 1, a: 2, "10": 3, "2": 4, B: 5, é: 6, _: 7, "": 8, nested: { z: [{ d: 1, c: [true, null, "s"] }], y: -0 } },
            { n: 1.5e300, neg: -1, nan: NaN, inf: Infinity },
            { list: [[], {}, [[1]], { "a b": { "ä": 1, a: 2 } }] },
            inherited,
        ];
        for (const c of cases) assertSame(c);
        const source = { b: { d: 1, c: 2 }, a: [1] };
        const copy = structRoundTrip(source) as typeof source;
        assert.notStrictEqual(copy.b, source.b);
        assert.notStrictEqual(copy.a, source.a);
        assert.ok(Object.is((structRoundTrip({ z: -0 }) as { z: number }).z, -0));
    });

    it("throws the protobuf's error for a value a Struct cannot hold", () => {
        // eslint-disable-next-line no-sparse-arrays
        for (const bad of [{ u: undefined }, { f: () => 1 }, { s: Symbol("s") }, { b: BigInt(1) }, { hole: [1, , 3] }]) {
            assert.throws(() => protobuf(bad), /Unexpected struct type/);
            assert.throws(() => structRoundTrip(bad), /^Error: Unexpected struct type\.$/);
        }
    });

    it("matches the protobuf round trip on every input of every resource of the prod plan, and the SDK's helpers are restored after a run", async function () {
        this.timeout(600_000);
        const before = { fromJavaScript: structPb.Struct.fromJavaScript, debuggablePromise: debuggable.debuggablePromise };
        const result = await evaluateStack("prod");
        assert.ok(result.resources.length > 100);
        for (const r of result.resources) assertSame({ inputs: r.inputs, name: r.name, aliases: r.aliases });
        assert.strictEqual(structPb.Struct.fromJavaScript, before.fromJavaScript);
        assert.strictEqual(debuggable.debuggablePromise, before.debuggablePromise);
    });

    it("under runUnderMocks, a Struct the SDK builds still answers getFieldsMap, toObject and serializeBinary like a real one", async () => {
        let checked = false;
        await runUnderMocks({ stack: "dev", config: {} }, () => {
            const value = { b: [1, "x"], a: { c: null } };
            const plain = structPb.Struct.fromJavaScript(value);
            const real = realFromJavaScript.call(structPb.Struct, value);
            assert.ok(plain instanceof structPb.Struct);
            assert.deepStrictEqual([...plain.serializeBinary()], [...real.serializeBinary()]);
            assert.deepStrictEqual(plain.toObject(), real.toObject());
            assert.deepStrictEqual(plain.getFieldsMap().get("b").toJavaScript(), [1, "x"]);
            assert.deepStrictEqual(plain.toJavaScript(), { a: { c: null }, b: [1, "x"] });
            assert.deepStrictEqual(plain.toJavaScript(), { a: { c: null }, b: [1, "x"] }); // a second reader gets its own copy
            assert.notStrictEqual(plain.toJavaScript(), plain.toJavaScript());
            checked = true;
            return pulumi.output(1);
        });
        assert.ok(checked);
    });
});
