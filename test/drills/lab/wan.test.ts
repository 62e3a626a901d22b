/**
 * The WAN proxy's behaviour (not its timings, which the failover drill measures and prints):
 * bytes arrive intact and in order, a partition neither delivers nor resets, a heal delivers
 * what was held, new connections during a partition are accepted and stay silent, a fence
 * closes and refuses, and bad options are one clear error.
 */
import * as assert from "assert";
import * as net from "net";
import { WanLink } from "../../../drills/lab/wan";

function echoServer(): Promise<{ port: number; server: net.Server }> {
    return new Promise((resolve) => {
        const server = net.createServer((s) => {
            s.on("error", () => undefined);
            s.pipe(s);
        });
        server.listen(0, "127.0.0.1", () => resolve({ port: (server.address() as net.AddressInfo).port, server }));
    });
}

function connect(port: number): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
        const s = net.createConnection({ host: "127.0.0.1", port });
        s.once("connect", () => resolve(s));
        s.once("error", reject);
    });
}

/** Collects what arrives on `s` for `ms`, and whether the socket closed or errored meanwhile. */
function collect(s: net.Socket, ms: number): Promise<{ data: Buffer; closed: boolean }> {
    return new Promise((resolve) => {
        const chunks: Buffer[] = [];
        let closed = false;
        const onData = (b: Buffer) => chunks.push(b);
        const onClose = () => (closed = true);
        s.on("data", onData);
        s.on("close", onClose);
        s.on("error", onClose);
        setTimeout(() => {
            s.off("data", onData);
            s.off("close", onClose);
            resolve({ data: Buffer.concat(chunks), closed });
        }, ms);
    });
}

describe("drills/lab/wan: the WAN link", function () {
    this.timeout(20_000);
    let echo: { port: number; server: net.Server };
    const links: WanLink[] = [];
    before(async () => {
        echo = await echoServer();
    });
    after(async () => {
        for (const l of links) await l.close();
        echo.server.close();
    });
    const link = async (opts = {}) => {
        const l = new WanLink(`t${links.length}`, ["A"], () => ({ host: "127.0.0.1", port: echo.port }), { delayMs: 5, ...opts });
        links.push(l);
        await l.listen();
        return l;
    };

    it("forwards every byte in order through the delay and the bandwidth cap", async () => {
        const l = await link({ bytesPerSecond: 2_000_000 });
        const s = await connect(l.port);
        const payload = Buffer.alloc(200_000);
        for (let i = 0; i < payload.length; i++) payload[i] = i % 251;
        s.write(payload);
        const got = await collect(s, 1500);
        s.destroy();
        assert.strictEqual(got.data.length, payload.length);
        assert.ok(got.data.equals(payload), "bytes changed or reordered");
    });

    it("a partition delivers nothing and resets nothing; the heal delivers what was held", async () => {
        const l = await link();
        const s = await connect(l.port);
        s.write("before");
        assert.strictEqual((await collect(s, 300)).data.toString(), "before");
        l.partition();
        s.write("during");
        const during = await collect(s, 500);
        assert.strictEqual(during.data.length, 0);
        assert.strictEqual(during.closed, false, "a partition must not close or reset the connection");
        l.heal();
        assert.strictEqual((await collect(s, 500)).data.toString(), "during");
        s.destroy();
    });

    it("during a partition a new connection is accepted and then hangs, and works after the heal", async () => {
        const l = await link();
        l.partition();
        const s = await connect(l.port);
        s.write("hello");
        const during = await collect(s, 400);
        assert.strictEqual(during.data.length, 0);
        assert.strictEqual(during.closed, false);
        l.heal();
        assert.strictEqual((await collect(s, 500)).data.toString(), "hello");
        s.destroy();
    });

    it("a fence closes open connections, refuses new ones, and outlasts the heal", async () => {
        const l = await link();
        const s = await connect(l.port);
        l.partition();
        l.fence();
        assert.strictEqual((await collect(s, 300)).closed, true);
        l.heal();
        const s2 = await connect(l.port).catch(() => undefined);
        if (s2) assert.strictEqual((await collect(s2, 300)).closed, true);
        assert.strictEqual(l.openConnections, 0);
    });

    it("rejects a negative delay and a non-positive bandwidth with one error naming the link and the option", () => {
        assert.throws(() => new WanLink("wan-x", ["A"], () => undefined, { delayMs: -1 }), /WAN link wan-x: delayMs -1/);
        assert.throws(() => new WanLink("wan-x", ["A"], () => undefined, { bytesPerSecond: 0 }), /WAN link wan-x: bytesPerSecond 0/);
    });
});
