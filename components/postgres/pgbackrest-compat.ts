/**
 * Which pgBackRest versions the rendered settings (pgbackrest.ts) work with, and what differs
 * between the versions the build machines carry: Debian 12 has 2.45, Debian 13 a 2.5x, the
 * Percona operator's image its own. Pure: the drills call it with the version they found, a
 * driver could call it with the version an image reports.
 *
 * From the pgBackRest release notes, for the options the renderer writes (2.55.0-2.58.0 read in
 * full, the earlier ones by their items on S3, archiving and options):
 *   - every option it writes exists from 2.39 (repo-bundle) on, and none is renamed or removed
 *     in the notes read;
 *   - 2.55.0 stopped sending Content-MD5 on PUT (pgbackrest#2592), which S3 requires for
 *     objects in an Object Lock bucket — tier 3 — so every write there fails; 2.55.1 reverted
 *     it (pgbackrest#2615);
 *   - 2.57.0 unnested the HTTP/TLS/socket retries (pgbackrest#2662): an unreachable S3 repo no
 *     longer multiplies io-timeout through three layers, so one async archive-push run waits
 *     less than the 8 × io-timeout measured on 2.45 (S3_WAITS_PER_RUN), which stays the bound;
 *   - 2.58.0 raised the minimum repo-storage-upload-chunk-size (not set here).
 */

export interface PgBackRestVersion {
    readonly major: number;
    readonly minor: number;
    readonly patch: number;
}

/** The oldest version with every option the renderer writes (repo-bundle arrived in 2.39). */
export const MIN_PGBACKREST: PgBackRestVersion = { major: 2, minor: 39, patch: 0 };

/** "2.45" / "2.55.1" / "2.58.0dev" -> numbers; throws naming the text when it is not a version. */
export function parsePgBackRestVersion(text: string): PgBackRestVersion {
    const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
    if (!m) throw new Error(`pgBackRest version "${text}": expected <major>.<minor>[.<patch>] as \`pgbackrest version\` prints it`);
    return { major: Number(m[1]), minor: Number(m[2]), patch: m[3] !== undefined ? Number(m[3]) : 0 };
}

function compare(a: PgBackRestVersion, b: PgBackRestVersion): number {
    return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export interface PgBackRestCompatibility {
    /** Set when the settings cannot work with this version: why, and what to install. */
    readonly refuse?: string;
    /** Differences that change a figure or a behaviour, for the report. */
    readonly notes: readonly string[];
}

/**
 * What this version means for the rendered settings. `objectLockRepos`: whether a repo is an
 * S3 bucket with Object Lock (tier 3 always is).
 */
export function pgBackRestCompatibility(versionText: string, o: { readonly objectLockRepos: boolean }): PgBackRestCompatibility {
    const v = parsePgBackRestVersion(versionText);
    const notes: string[] = [];
    if (compare(v, MIN_PGBACKREST) < 0) {
        return { refuse: `pgBackRest ${versionText} is older than 2.39, which the rendered settings need (repo-bundle); install pgBackRest >= 2.39`, notes };
    }
    if (o.objectLockRepos && v.major === 2 && v.minor === 55 && v.patch === 0) {
        return {
            refuse: `pgBackRest 2.55.0 sends no Content-MD5 on PUT (pgbackrest#2592), so every write to the Object Lock bucket of tier 3 fails; install 2.55.1 or later (the fix, pgbackrest#2615) or 2.54.x`,
            notes,
        };
    }
    if (compare(v, { major: 2, minor: 57, patch: 0 }) >= 0) {
        notes.push("HTTP/TLS/socket retries unnested (pgbackrest#2662): an archive-push run against an unreachable S3 repo waits less than the 8 × io-timeout measured on 2.45, which stays the bound");
    }
    if (compare(v, { major: 2, minor: 46, patch: 0 }) >= 0) {
        notes.push("block incremental (repo-block) available without beta; not used by these settings");
    }
    return { notes };
}
