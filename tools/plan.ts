/**
 * The offline plan: `npm run plan -- <stack> [--json]`.
 *
 * Evaluates the stack's real program under the Pulumi SDK's mock runtime with that stack's
 * config file — no credentials, no Pulumi CLI, no cloud — and prints what it would declare.
 * Bad config exits 1 with the validation errors and nothing else.
 */
import { ConfigError } from "../stacks/schema";
import { evaluateStack, PlanResult } from "./evaluate";
import { renderSummary } from "./plan-summary";

const USAGE = "usage: npm run plan -- <stack> [--json]   (stacks: see stacks/Pulumi.<stack>.yaml)";

export function planDocument(result: PlanResult): Record<string, unknown> {
    return {
        stack: result.stack,
        evaluatedWith: "Pulumi SDK mock runtime (no cloud contacted; provider-computed values are mock values)",
        config: result.config,
        resources: result.resources.map((r) => ({
            type: r.type,
            name: r.name,
            parent: r.parentName,
            region: r.region ?? null,
            urn: r.urn,
            protect: r.protect,
            retainOnDelete: r.retainOnDelete,
            inputs: r.inputs,
        })),
        outputs: result.outputs,
    };
}

async function main(argv: string[]): Promise<number> {
    const flags = argv.filter((a) => a.startsWith("--"));
    const positional = argv.filter((a) => !a.startsWith("--"));
    const unknownFlag = flags.find((f) => f !== "--json");
    if (positional.length !== 1 || unknownFlag) {
        console.error(unknownFlag ? `unknown option ${unknownFlag}\n${USAGE}` : USAGE);
        return 2;
    }
    const [stack] = positional;
    let result: PlanResult;
    try {
        result = await evaluateStack(stack);
    } catch (e) {
        if (e instanceof ConfigError) {
            console.error(`stacks/Pulumi.${stack}.yaml: ${e.message}`);
            return 1;
        }
        console.error(e instanceof Error ? e.message : String(e));
        return 1;
    }
    if (flags.includes("--json")) {
        process.stdout.write(JSON.stringify(planDocument(result), null, 2) + "\n");
    } else {
        process.stdout.write(renderSummary(result));
    }
    return 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e) => {
            console.error(e instanceof Error ? e.stack : String(e));
            process.exit(1);
        },
    );
}
