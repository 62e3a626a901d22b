/**
 * pgBackRest on a lab host, read the way the issue demands: `info` and `verify` exit 0 on a repo
 * in error, so both are judged from their OUTPUT — info's per-repo status code, verify's status
 * line and its per-file "invalid checksum '<file>'" lines — never from the exit code alone.
 */
import type { DatabaseBackup, DatabaseInfo, Finding, Tier, Wait } from "../types";
import { StepFailed } from "../../errors";
import type { LabDescription } from "./description";
import { ExecResult, execAsPostgres } from "./exec";

export function pgbackrestArgs(desc: LabDescription, args: readonly string[]): string[] {
    const base = [`--config=${desc.pgbackrest.config}`, `--stanza=${desc.pgbackrest.stanza}`];
    if (desc.pgbackrest.configIncludePath) base.push(`--config-include-path=${desc.pgbackrest.configIncludePath}`);
    return [...base, ...args];
}

export function pgbackrest(desc: LabDescription, args: readonly string[], wait: Wait, pidFile?: string): Promise<ExecResult> {
    return execAsPostgres("pgbackrest", pgbackrestArgs(desc, args), { deadline: wait.deadline, pidFile, what: `pgbackrest ${args[0]}` });
}

export function repoOf(desc: LabDescription, tier: Tier): number {
    const r = desc.repos[tier];
    if (!r) throw new StepFailed(`the lab has no repo for ${tier} (lab description "repos")`);
    return r.repo;
}

interface InfoJson {
    name: string;
    status: { code: number; message: string };
    repo?: { key: number; status: { code: number; message: string } }[];
    archive?: { id: string; min: string | null; max: string | null; database: { id: number; "repo-key": number } }[];
    db?: { id: number; "repo-key": number; "system-id": number; version: string }[];
    backup: {
        label: string;
        type: "full" | "diff" | "incr";
        error?: boolean;
        timestamp: { start: number; stop: number };
        archive: { start: string | null; stop: string | null };
        lsn?: { start: string; stop: string };
        database: { id: number; "repo-key": number };
    }[];
}

/** pgBackRest's repo status codes that mean "readable, just empty" (2: no valid backups). */
const EMPTY_REPO = 2;

/** Parses `pgbackrest info --repo=N --output=json`: the repo's own status decides, not the exit code. */
export function parseInfo(json: string, repo: number, tier: Tier, stanza: string): DatabaseInfo & { archiveId?: string } {
    const all = JSON.parse(json) as InfoJson[];
    const s = all.find((x) => x.name === stanza);
    if (!s) throw new StepFailed(`pgbackrest info: no stanza "${stanza}" in the output`);
    const rs = s.repo?.find((r) => r.key === repo)?.status ?? s.status;
    const status = rs.code === 0 || rs.code === EMPTY_REPO ? "ok" : `code ${rs.code}: ${rs.message}`;
    const backups: DatabaseBackup[] = s.backup
        .filter((b) => b.database["repo-key"] === repo)
        .map((b) => ({
            tier,
            label: b.label,
            type: b.type,
            startedAt: new Date(b.timestamp.start * 1000),
            stoppedAt: new Date(b.timestamp.stop * 1000),
            walStart: b.archive.start ?? "",
            walStop: b.archive.stop ?? "",
            lsnStart: b.lsn?.start,
            lsnStop: b.lsn?.stop,
            error: b.error === true,
            // info lists a backup only once backup.info records it, which pgBackRest does at completion
            complete: !!b.archive.stop,
        }));
    const archives = (s.archive ?? []).filter((a) => a.database["repo-key"] === repo);
    const current = archives[archives.length - 1];
    return { tier, backups, archive: { tier, min: current?.min ?? undefined, max: current?.max ?? undefined }, status, archiveId: current?.id };
}

/**
 * Parses `pgbackrest verify --log-level-console=info` (2.45): each bad file is a line
 * "P01 INFO: invalid checksum '<set>/pg_data/...'" (or "invalid size", "missing"), then a
 * summary with "status: ok|error". Verify exits 0 either way; this reads what it said.
 */
export function parseVerify(output: string, tier: Tier, repoPathForNames: string, stanza: string): Finding[] {
    const findings: Finding[] = [];
    for (const line of output.split("\n")) {
        const m = /P\d\d\s+(?:INFO|WARN|ERROR):\s+(invalid checksum|invalid size|file missing|missing|invalid result|unable to [^']*)\s*'([^']+)'/.exec(line);
        if (m) {
            const rel = m[2];
            const object = /^\d{8}-\d{6}F/.test(rel) ? `${repoPathForNames}/backup/${stanza}/${rel}` : `${repoPathForNames}/archive/${stanza}/${rel}`;
            findings.push({ severity: "error", dataClass: "database", tier, object, check: "pgbackrest-verify", message: m[1] });
        }
    }
    const status = /status:\s+(\w+)/.exec(output)?.[1];
    if (status === undefined) {
        findings.push({ severity: "error", dataClass: "database", tier, object: `${tier} repo`, check: "pgbackrest-verify", message: "verify printed no status line" });
    } else if (status !== "ok" && findings.length === 0) {
        const summary = output.split("\n").filter((l) => /invalid|missing|status/.test(l)).map((l) => l.trim()).join(" | ");
        findings.push({ severity: "error", dataClass: "database", tier, object: `${tier} repo`, check: "pgbackrest-verify", message: `status ${status}: ${summary}` });
    }
    return findings;
}

/** 16 MiB segments: 256 per "log" (the default initdb segment size, which the lab keeps). */
const SEGMENTS_PER_LOG = 0x100;

export function segmentNumber(walName: string): number {
    return parseInt(walName.slice(8, 16), 16) * SEGMENTS_PER_LOG + parseInt(walName.slice(16, 24), 16);
}

export function segmentName(timeline: string, n: number): string {
    const hi = Math.floor(n / SEGMENTS_PER_LOG);
    const lo = n % SEGMENTS_PER_LOG;
    return `${timeline}${hi.toString(16).toUpperCase().padStart(8, "0")}${lo.toString(16).toUpperCase().padStart(8, "0")}`;
}

/**
 * WAL continuity: every segment from the oldest backup's first segment to the newest archived
 * one must be in the archive (any timeline). Names each missing segment.
 */
export function walGaps(archived: readonly string[], fromSegment: string, toSegment: string): string[] {
    const have = new Set(archived.filter((n) => /^[0-9A-F]{24}$/.test(n)).map(segmentNumber));
    const from = segmentNumber(fromSegment);
    const to = segmentNumber(toSegment);
    const missing: string[] = [];
    for (let n = from; n <= to && missing.length < 100; n++) if (!have.has(n)) missing.push(segmentName(fromSegment.slice(0, 8), n));
    return missing;
}
