/**
 * `npm run bench:plan [-- --runs N] [--stack S] [--check]`: the plan's wall time against its floor.
 *
 * The floor is `node` loading only the SDK modules the plan uses — @pulumi/pulumi, @pulumi/policy,
 * zod, yaml, each provider package, and every provider submodule and resource class the stack
 * (and, for a DR stack, its primary) declares, read from the plan's own `--json` — and nothing
 * else: no program, no policy pack, no objectives. The plan is the command `npm run plan` runs
 * (package.json scripts.plan), run by node directly, so npm's own start-up (printed once) is in
 * neither figure.
 *
 * Both run N times (default 5), alternating, after one untimed warm-up of each (builds the plan
 * bundle if a source changed, warms the file cache). Prints every run (wall, and CPU user+sys
 * when /usr/bin/time exists), the medians and the ratio of the medians. `--check` exits 1 when
 * the ratio is over 1.5. The machine may be shared: the load average is printed with the figures.
 *
 * The plan runs with a V8 code cache of the modules it loads (tools/code-cache.js), which the
 * floor as the issue defines it (plain node) does not have. So the floor also runs a second way,
 * with the same code cache (`node -r tools/code-cache.js`, its own cache file, filled by its
 * warm-up), and the bench prints the ratio against that floor too. FORTRESS_CODE_CACHE=0 runs
 * the plan without the cache (and drops the second floor).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { wrap } from "./plan-text";

const ROOT = path.resolve(__dirname, "..");
/** The plan launcher installs the code cache unless FORTRESS_CODE_CACHE=0 (tools/code-cache.js). */
const CODE_CACHE = process.env.FORTRESS_CODE_CACHE !== "0";
/** The floor's own code cache file, next to the plan's. */
const FLOOR_CACHE = path.join(path.resolve(process.env.FORTRESS_PLAN_CACHE || path.join(ROOT, ".cache", "plan")), "floor-code-cache.bin");
const TARGET = 1.5;
const TIME = "/usr/bin/time";

interface Args {
    readonly runs: number;
    readonly stack: string;
    readonly check: boolean;
}

function parseArgs(argv: readonly string[]): Args {
    let runs = 5;
    let stack = "prod";
    let check = false;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--check") check = true;
        else if (a === "--runs" || a.startsWith("--runs=")) {
            const v = a === "--runs" ? argv[++i] : a.slice("--runs=".length);
            runs = Number(v);
            if (!Number.isInteger(runs) || runs < 1 || runs > 100) throw new Error(`--runs ${v}: give a whole number of runs from 1 to 100`);
        } else if (a === "--stack" || a.startsWith("--stack=")) {
            stack = (a === "--stack" ? argv[++i] : a.slice("--stack=".length)) ?? "";
            if (!/^[a-z0-9-]+$/.test(stack)) throw new Error(`--stack ${stack}: give a stack name (stacks/Pulumi.<stack>.yaml)`);
        } else throw new Error(`unknown option ${a}; usage: npm run bench:plan -- [--runs N] [--stack S] [--check]`);
    }
    return { runs, stack, check };
}

/** A module the plan loads and the resource classes it uses from it. */
type FloorModules = Map<string, Set<string>>;

/** Always loaded by the plan, whatever the stack declares. */
const BASE_MODULES = ["@pulumi/pulumi", "@pulumi/aws", "@pulumi/gcp", "@pulumi/kubernetes", "@pulumi/random", "@pulumi/tls", "@pulumi/policy", "zod", "yaml"];

/**
 * The SDK module and class of a resource type token: `aws:s3/bucket:Bucket` -> @pulumi/aws/s3
 * Bucket; `kubernetes:apps/v1:Deployment` -> @pulumi/kubernetes/apps/v1 Deployment; a custom
 * resource kind the Kubernetes SDK has no class for -> apiextensions CustomResource.
 */
function moduleOf(type: string): [string, string] | undefined {
    const [pkg, mod, cls] = type.split(":");
    if (pkg === "fortress" || type === "pulumi:pulumi:Stack") return undefined; // the project's own components
    if (pkg === "pulumi" && mod === "providers") return [`@pulumi/${cls}`, "Provider"];
    if (pkg === "pulumi") return ["@pulumi/pulumi", cls];
    if (pkg === "kubernetes") {
        const [group, version] = mod.split("/");
        const candidate = `@pulumi/kubernetes/${group.split(".")[0]}/${version}`;
        try {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            if (typeof require(require.resolve(candidate, { paths: [ROOT] }))[cls] === "function") return [candidate, cls];
        } catch {
            // no such module in the SDK: a custom resource
        }
        return ["@pulumi/kubernetes/apiextensions", "CustomResource"];
    }
    const service = mod.split("/")[0];
    return [service === "index" ? `@pulumi/${pkg}` : `@pulumi/${pkg}/${service}`, cls];
}

function runPlanJson(planArgv: readonly string[], args: readonly string[]): { types: string[]; primary?: string } {
    const r = spawnSync(process.execPath, [...planArgv, ...args, "--json"], { cwd: ROOT, encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
    if (r.status !== 0 && r.status !== 1) throw new Error(`npm run plan -- ${args.join(" ")} --json exited ${r.status}: ${r.stderr}`);
    const doc = JSON.parse(r.stdout);
    const primaryStack = doc.config?.role === "dr" ? String(doc.config?.dr?.primaryStack ?? "").split("/").pop() : undefined;
    return { types: doc.resources.map((x: { type: string }) => x.type), primary: primaryStack || undefined };
}

function floorModules(stack: string, planArgv: readonly string[]): FloorModules {
    const types = new Set<string>();
    const first = runPlanJson(planArgv, [stack]);
    first.types.forEach((t) => types.add(t));
    // A DR plan evaluates its primary and every mode; its --json shows one mode.
    if (first.primary) {
        runPlanJson(planArgv, [first.primary]).types.forEach((t) => types.add(t));
        for (const m of ["pilot-light", "rebuild", "promote"]) runPlanJson(planArgv, [stack, `--mode=${m}`]).types.forEach((t) => types.add(t));
    }
    const mods: FloorModules = new Map(BASE_MODULES.map((m) => [m, new Set<string>()]));
    for (const t of types) {
        const m = moduleOf(t);
        if (!m) continue;
        if (!mods.has(m[0])) mods.set(m[0], new Set());
        mods.get(m[0])!.add(m[1]);
    }
    return mods;
}

/** The floor program: require each module and touch each class the plan uses (the SDKs load classes lazily). */
function floorScript(mods: FloorModules): string {
    const list = JSON.stringify([...mods].map(([m, cls]) => [m, [...cls].sort()]));
    return `for (const [m, cls] of ${list}) { const x = require(m); for (const c of cls) if (typeof x[c] !== "function") throw new Error(m + "." + c + " is not a class"); }`;
}

/** The command `npm run plan` runs: package.json's scripts.plan after `node`. */
function planCommand(): string[] {
    const script: string = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts.plan;
    const words = script.split(/\s+/);
    if (words[0] !== "node") throw new Error(`package.json scripts.plan is "${script}"; the bench expects it to start with node`);
    return words.slice(1);
}

interface Sample {
    readonly wall: number;
    /** User + system CPU seconds, when /usr/bin/time measured them. */
    readonly cpu?: number;
}

function timed(argv: readonly string[], okCodes: readonly number[], env: NodeJS.ProcessEnv = process.env): Sample {
    const useTime = fs.existsSync(TIME);
    const cmd = useTime ? TIME : process.execPath;
    const args = useTime ? ["-f", "BENCH-CPU %U %S", process.execPath, ...argv] : [...argv];
    const start = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { cwd: ROOT, env, encoding: "utf8", stdio: ["ignore", "ignore", "pipe"], maxBuffer: 64 * 1024 * 1024 });
    const wall = Number(process.hrtime.bigint() - start) / 1e9;
    const cpuLine = /BENCH-CPU ([\d.]+) ([\d.]+)/.exec(r.stderr ?? "");
    const status = useTime && cpuLine ? Number(/Command exited with non-zero status (\d+)/.exec(r.stderr)?.[1] ?? 0) : r.status;
    if (!okCodes.includes(status ?? -1)) throw new Error(`${argv.join(" ")} exited ${status}: ${(r.stderr ?? "").slice(-2000)}`);
    return { wall, cpu: cpuLine ? Number(cpuLine[1]) + Number(cpuLine[2]) : undefined };
}

const median = (xs: readonly number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const sec = (v: number | undefined) => (v === undefined ? "-" : `${v.toFixed(2)} s`);

function machine(): string {
    const cpus = os.cpus();
    const model = cpus[0]?.model.replace(/\s+/g, " ").trim() ?? "?";
    return `${cpus.length} x ${model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, node ${process.version}`;
}

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(" ");

export function runBench(argv: readonly string[]): number {
    const args = parseArgs(argv);
    const plan = [...planCommand(), args.stack];
    console.log(`bench:plan: \`npm run plan -- ${args.stack}\` (node ${plan.join(" ")}) against its floor, ${args.runs} runs each, alternating`);
    console.log(`machine: ${machine()}; ${new Date().toISOString()}; load average ${load()} at start`);
    const mods = floorModules(args.stack, planCommand());
    const floor = ["-e", floorScript(mods)];
    const cachedFloor = ["-r", path.join(ROOT, "tools", "code-cache.js"), ...floor];
    const cachedEnv = { ...process.env, FORTRESS_CODE_CACHE: FLOOR_CACHE };
    const classes = [...mods.values()].reduce((n, s) => n + s.size, 0);
    console.log(wrap(`floor: node loading ${mods.size} modules (${[...mods.keys()].join(", ")}) and touching the ${classes} resource classes the plan declares`, "", "  ").join("\n"));
    console.log(
        wrap(
            CODE_CACHE
                ? "code cache: the plan runs with a V8 code cache of the modules it loads (tools/code-cache.js); the plain floor does not. " +
                      "The floor is also timed with the same cache (floor+cc), and the ratio against it is printed too."
                : "code cache: off (FORTRESS_CODE_CACHE=0): the plan compiles every module from source, as the floor does.",
            "",
            "  ",
        ).join("\n"),
    );
    // Warm-up, untimed: the plan bundle is current, both have the file cache (and the floor+cc its code cache).
    timed(floor, [0]);
    timed(plan, [0, 1]);
    if (CODE_CACHE) timed(cachedFloor, [0], cachedEnv);
    const npmStart = process.hrtime.bigint();
    spawnSync("npm", ["--version"], { cwd: ROOT, stdio: "ignore" });
    console.log(`(npm's own start-up, in neither figure: \`npm --version\` took ${sec(Number(process.hrtime.bigint() - npmStart) / 1e9)})`);
    const floors: Sample[] = [];
    const plans: Sample[] = [];
    const cachedFloors: Sample[] = [];
    console.log(`\nrun  floor wall  floor cpu  plan wall  plan cpu${CODE_CACHE ? "   floor+cc wall  floor+cc cpu" : ""}`);
    for (let i = 0; i < args.runs; i++) {
        // Alternate the order, so a burst of load on the shared machine hits each alike.
        const steps = [() => floors.push(timed(floor, [0])), () => plans.push(timed(plan, [0, 1]))];
        if (CODE_CACHE) steps.push(() => cachedFloors.push(timed(cachedFloor, [0], cachedEnv)));
        for (let k = 0; k < steps.length; k++) steps[(i + k) % steps.length]();
        const cc = CODE_CACHE ? `   ${sec(cachedFloors[i].wall).padEnd(14)} ${sec(cachedFloors[i].cpu)}` : "";
        console.log(`${String(i + 1).padEnd(3)}  ${sec(floors[i].wall).padEnd(10)} ${sec(floors[i].cpu).padEnd(10)} ${sec(plans[i].wall).padEnd(10)} ${sec(plans[i].cpu).padEnd(8)}${cc}`);
    }
    const fw = median(floors.map((s) => s.wall));
    const pw = median(plans.map((s) => s.wall));
    const ratio = pw / fw;
    const cpuKnown = floors.every((s) => s.cpu !== undefined) && plans.every((s) => s.cpu !== undefined);
    const fc = cpuKnown ? median(floors.map((s) => s.cpu!)) : undefined;
    const pc = cpuKnown ? median(plans.map((s) => s.cpu!)) : undefined;
    console.log(`\nmedian wall: floor ${sec(fw)}, plan ${sec(pw)}; ratio ${ratio.toFixed(2)} (target <= ${TARGET})`);
    if (fc !== undefined && pc !== undefined) console.log(`median CPU:  floor ${sec(fc)}, plan ${sec(pc)}; ratio ${(pc / fc).toFixed(2)}`);
    if (CODE_CACHE) {
        const cw = median(cachedFloors.map((s) => s.wall));
        const ccpu = cachedFloors.every((s) => s.cpu !== undefined) ? median(cachedFloors.map((s) => s.cpu!)) : undefined;
        console.log(`the plan has a code cache the floor lacks; against a floor with the same cache (floor+cc):`);
        console.log(`median wall: floor+cc ${sec(cw)}, plan ${sec(pw)}; ratio ${(pw / cw).toFixed(2)}`);
        if (ccpu !== undefined && pc !== undefined) console.log(`median CPU:  floor+cc ${sec(ccpu)}, plan ${sec(pc)}; ratio ${(pc / ccpu).toFixed(2)}`);
    }
    console.log(`load average ${load()} at the end`);
    if (args.check && ratio > TARGET) {
        console.error(`bench:plan --check: ratio ${ratio.toFixed(2)} is over ${TARGET}`);
        return 1;
    }
    return 0;
}

if (require.main === module) {
    try {
        process.exitCode = runBench(process.argv.slice(2));
    } catch (e) {
        console.error(e instanceof Error ? e.message : String(e));
        process.exitCode = 2;
    }
}
