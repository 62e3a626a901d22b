/**
 * `fortress erasure-replay`: the replay on its own — after a restore done by hand, or to prove
 * a restored copy is clean. The same step `fortress restore --promote` and `fortress failover`
 * run (cli/erasure/step.ts), preceded by reading the ledger so `--dry-run` shows what would be
 * replayed.
 */
import type { CommandDef } from "../command";
import { PreflightError, UsageError } from "../errors";
import { parseTimestamp } from "../parse";
import type { Json, Step } from "../runner";
import { driverStep, pick } from "../commands/common";
import { selectEntries } from "./ledger-format";
import { readAllCopies, replayErasuresStep } from "./step";

export const erasureReplay: CommandDef = {
    name: "erasure-replay",
    summary: "replay the GDPR erasure ledger into a restored service and verify every erased subject is absent",
    help: `
Reads every reachable copy of the erasure ledger (tier 3's Object Lock bucket and its DR copy),
selects the requests newer than --restored-point (less erasure.ledger.replayMarginSeconds; all
of them without --restored-point), applies each per data class with the stack's erasure
procedures (the SQL routine, Redis key patterns, uploads prefixes) and verifies every subject
is absent. Idempotent: replaying twice removes nothing the second time.

fortress restore --promote and fortress failover run the same step before traffic.

Examples:
  fortress erasure-replay --stack prod --reason "INC-42 after restore" --restored-point 2026-12-03T05:59:00Z --dry-run
  fortress erasure-replay --stack prod --reason "INC-42 after restore" --yes`,
    reasonRequired: true,
    defaultTimeoutSeconds: 900,
    options(cmd) {
        cmd.option("--restored-point <iso>", "the time the restored data reflects (ISO 8601 with zone); default: replay every entry")
            .option("--database <host:port>", "the restored database to erase in (default: the stack's / lab's own database)");
    },
    fingerprint: (opts) => pick(opts, ["restoredPoint", "database"]),
    plan({ opts, stack }) {
        const point = opts.restoredPoint !== undefined ? parseTimestamp("--restored-point", String(opts.restoredPoint)) : undefined;
        const e = stack.config.erasure;
        if (!e) throw new UsageError(`--stack ${stack.name}: its config has no erasure section, so there are no procedures to replay; add fortress-dr:erasure (docs/erasure.md)`);
        const steps: Step[] = [
            driverStep({ id: "read-ledger", phase: "plan", title: "read every reachable copy of the erasure ledger and select the requests to replay", budget: { seconds: 120 } }, async (d, ctx) => {
                if (!d.erasure) throw new PreflightError(`driver ${d.name} provides no erasure primitives (${d.describe})`);
                const { entries, notes } = await readAllCopies(d.erasure, ctx);
                for (const n of notes) ctx.note(n);
                const selected = selectEntries(entries, point, e.ledger.replayMarginSeconds);
                return { detail: `${selected.length} of ${entries.length} request(s) to replay${point ? ` (newer than ${point.toISOString()} less ${e.ledger.replayMarginSeconds} s)` : " (all)"}`, data: { ledgerRequests: entries.length, selectedRequests: selected.length } };
            }),
            replayErasuresStep({ config: stack.config, restoredPoint: () => point, database: () => (opts.database === undefined ? undefined : String(opts.database)), why: point ? `restored point ${point.toISOString()}` : "restored point unknown: every entry" }),
        ];
        return {
            destructive: true,
            dataLossBound: { seconds: null, why: "removes only the rows, keys and objects of subjects whose erasure the ledger records" },
            steps,
            result: (data: Record<string, Json>) => ({ ledgerRequests: data.ledgerRequests ?? null, selectedRequests: data.selectedRequests ?? null, erasuresReplayed: data.erasuresReplayed ?? null }),
        };
    },
};
