/**
 * Incident notifications and stakeholder updates during a failover or restore (DR plan:
 * "incident notification within 2 minutes", "stakeholder updates every 15 minutes"): the
 * `fortress` command posts to the alert topics (SNS, AWS SDK v3) when the run starts, on every
 * cadence tick while it runs (default 15 minutes, configurable), and when it ends.
 *
 * The start notice is retried with backoff until its deadline (default 2 minutes after the
 * start); if no topic took it by then, the operator is told at once — the run goes on, since
 * stopping a recovery because a notice failed would make the incident worse. Time comes from a
 * Clock, so the cadence is tested with a fake one.
 */
import { ListTopicsCommand, PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { Reporter } from "./output";
import type { RunDocument, StepRecord } from "./runner";

export interface Clock {
    now(): number;
    setInterval(fn: () => void, ms: number): unknown;
    clearInterval(handle: unknown): void;
    sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
    now: () => Date.now(),
    setInterval: (fn, ms) => {
        const h = setInterval(fn, ms);
        // A pending update never keeps the process alive after the run.
        h.unref?.();
        return h;
    },
    clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

export interface Publisher {
    publish(topicArn: string, subject: string, message: string): Promise<void>;
}

/** The region of an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME), or one error naming the fix. */
export function topicRegion(arn: string): string {
    const p = arn.split(":");
    if (p.length !== 6 || p[0] !== "arn" || p[2] !== "sns" || !p[3] || !p[5]) {
        throw new Error(`alert topic "${arn}" is not an SNS topic ARN; use arn:aws:sns:REGION:ACCOUNT:NAME (the stack's alert topics)`);
    }
    return p[3];
}

/** SNS through AWS SDK v3, one client per topic region (a topic takes a publish only in its region). */
export class SnsPublisher implements Publisher {
    private readonly clients = new Map<string, SNSClient>();
    constructor(private readonly config: { readonly endpoint?: string; readonly credentials?: { accessKeyId: string; secretAccessKey: string } } = {}) {}

    client(region: string): SNSClient {
        let c = this.clients.get(region);
        if (!c) {
            c = new SNSClient({ region, ...(this.config.endpoint ? { endpoint: this.config.endpoint } : {}), ...(this.config.credentials ? { credentials: this.config.credentials } : {}) });
            this.clients.set(region, c);
        }
        return c;
    }

    async publish(topicArn: string, subject: string, message: string): Promise<void> {
        // SNS caps a subject at 100 characters, printable ASCII.
        await this.client(topicRegion(topicArn)).send(new PublishCommand({ TopicArn: topicArn, Subject: subject.replace(/[^\x20-\x7e]/g, "-").slice(0, 100), Message: message }));
    }

    /** The ARNs of topics named `name` in each region (ListTopics; the CLI has no account id of its own). */
    async resolve(topics: readonly { readonly region: string; readonly name: string }[]): Promise<string[]> {
        const found: string[] = [];
        for (const t of topics) {
            let token: string | undefined;
            let arn: string | undefined;
            do {
                const page = await this.client(t.region).send(new ListTopicsCommand({ NextToken: token }));
                arn = page.Topics?.map((x) => x.TopicArn ?? "").find((a) => a.endsWith(`:${t.name}`));
                token = page.NextToken;
            } while (!arn && token);
            if (!arn) throw new Error(`no SNS topic named ${t.name} in ${t.region}; deploy the stack's detection step, or pass the topic ARNs`);
            found.push(arn);
        }
        return found;
    }

    destroy(): void {
        for (const c of this.clients.values()) c.destroy();
    }
}

export interface NotifyOptions {
    readonly command: string;
    readonly stack: string;
    /** @default read from the run's header ("... run <id>") */
    readonly runId?: string;
    readonly topicArns: readonly string[];
    /** Seconds between stakeholder updates. @default 900 */
    readonly updateEverySeconds?: number;
    /** The start notice must be out within this many seconds. @default 120 */
    readonly incidentDeadlineSeconds?: number;
    readonly publisher: Publisher;
    /** @default systemClock */
    readonly clock?: Clock;
    /** Where the operator reads what happened to the notices (the run's reporter). */
    readonly note?: (line: string) => void;
}

export interface Delivery {
    readonly kind: "incident" | "update" | "final";
    readonly topicArn: string;
    /** Milliseconds since the start of the run. */
    readonly atMs: number;
    readonly ok: boolean;
    readonly error?: string;
}

export const DEFAULT_UPDATE_EVERY_SECONDS = 900;
export const DEFAULT_INCIDENT_DEADLINE_SECONDS = 120;

export class IncidentNotifier {
    readonly deliveries: Delivery[] = [];
    private readonly clock: Clock;
    private readonly every: number;
    private readonly deadline: number;
    private started = 0;
    private timer: unknown;
    private updates = 0;
    private lines: string[] = [];
    private steps: { done: number; total: number; current?: string } = { done: 0, total: 0 };
    private pending: Promise<unknown>[] = [];
    private runId: string;

    constructor(private readonly o: NotifyOptions) {
        this.clock = o.clock ?? systemClock;
        this.runId = o.runId ?? "?";
        this.every = o.updateEverySeconds ?? DEFAULT_UPDATE_EVERY_SECONDS;
        this.deadline = o.incidentDeadlineSeconds ?? DEFAULT_INCIDENT_DEADLINE_SECONDS;
        if (!(Number.isFinite(this.every) && this.every >= 60)) throw new Error(`notifications.updateEverySeconds: ${this.every}; use at least 60 seconds (the DR plan asks for 900)`);
        if (!(this.deadline > 0)) throw new Error(`notifications.incidentDeadlineSeconds: ${this.deadline}; use a positive number of seconds`);
        if (o.topicArns.length === 0) throw new Error("notifications: no alert topic; give the stack's alert topic ARNs");
        o.topicArns.forEach(topicRegion);
    }

    private subject(what: string): string {
        return `[fortress ${this.o.stack}] ${this.o.command} ${what}`;
    }

    private elapsed(): string {
        const s = Math.round((this.clock.now() - this.started) / 1000);
        return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
    }

    /** Sends to every topic; with a deadline, retries each until it passes (5 s, 10 s, 20 s, ... apart). */
    private async send(kind: Delivery["kind"], subject: string, message: string, deadlineMs?: number): Promise<boolean> {
        const results = await Promise.all(
            this.o.topicArns.map(async (topicArn) => {
                let wait = 5000;
                for (;;) {
                    try {
                        await this.o.publisher.publish(topicArn, subject, message);
                        this.deliveries.push({ kind, topicArn, atMs: this.clock.now() - this.started, ok: true });
                        return true;
                    } catch (e) {
                        const error = e instanceof Error ? e.message : String(e);
                        const now = this.clock.now();
                        if (deadlineMs === undefined || now + wait > deadlineMs) {
                            this.deliveries.push({ kind, topicArn, atMs: now - this.started, ok: false, error });
                            return false;
                        }
                        await this.clock.sleep(wait);
                        wait *= 2;
                    }
                }
            }),
        );
        return results.some(Boolean);
    }

    /** The incident notification: at once, retried until the deadline; then the update cadence starts. */
    async start(summary: string): Promise<boolean> {
        this.started = this.clock.now();
        const ok = await this.send(
            "incident",
            this.subject("started"),
            `fortress ${this.o.command} started on stack ${this.o.stack} (run ${this.runId}) at ${new Date(this.started).toISOString()}.\n${summary}\nUpdates follow every ${Math.round(this.every / 60)} minutes until it ends.`,
            this.started + this.deadline * 1000,
        );
        const took = (this.clock.now() - this.started) / 1000;
        if (!ok) this.o.note?.(`incident notification NOT delivered within ${this.deadline} s to any alert topic (${this.deliveries.filter((d) => !d.ok).map((d) => d.error).join("; ")}); tell the stakeholders by hand`);
        else this.o.note?.(`incident notification sent to ${this.deliveries.filter((d) => d.ok && d.kind === "incident").length} alert topic(s) after ${took.toFixed(1)} s`);
        this.timer = this.clock.setInterval(() => {
            this.pending.push(this.update());
        }, this.every * 1000);
        return ok;
    }

    setRunId(id: string | undefined): void {
        if (id && this.o.runId === undefined) this.runId = id;
    }

    /** What the run is doing, for the next update. */
    stepStarted(name: string, index: number, total: number): void {
        this.steps = { ...this.steps, current: name, total };
        this.lines.push(`step ${index}/${total} ${name} started`);
        this.lines = this.lines.slice(-5);
    }

    stepEnded(name: string, status: string): void {
        if (status === "verified" || status === "verified-earlier" || status === "skipped") this.steps.done++;
        this.lines.push(`step ${name}: ${status}`);
        this.lines = this.lines.slice(-5);
    }

    /** One stakeholder update (the cadence timer calls it). */
    async update(): Promise<boolean> {
        this.updates++;
        const s = this.steps;
        return this.send(
            "update",
            this.subject(`update ${this.updates}: ${this.elapsed()} in`),
            `fortress ${this.o.command} on ${this.o.stack} (run ${this.runId}) is still running after ${this.elapsed()}.\n` +
                `steps done: ${s.done}${s.total ? ` of ${s.total}` : ""}${s.current ? `; now: ${s.current}` : ""}\n` +
                (this.lines.length ? `latest:\n  ${this.lines.join("\n  ")}\n` : "") +
                `next update in ${Math.round(this.every / 60)} minutes.`,
        );
    }

    /** The final notice; stops the cadence. */
    async end(outcome: string, message?: string | null): Promise<boolean> {
        if (this.timer !== undefined) this.clock.clearInterval(this.timer);
        this.timer = undefined;
        await Promise.all(this.pending);
        return this.send(
            "final",
            this.subject(`${outcome} after ${this.elapsed()}`),
            `fortress ${this.o.command} on ${this.o.stack} (run ${this.runId}) ended: ${outcome} after ${this.elapsed()}.${message ? `\n${message}` : ""}`,
        );
    }
}

/**
 * A reporter that also tells the notifier: the run's header starts the notices, steps feed the
 * updates, the finish sends the final one. The run's own output is unchanged.
 */
export function notifyingReporter(inner: Reporter, n: IncidentNotifier, summary: string): Reporter & { readonly settled: Promise<unknown> } {
    let started: Promise<unknown> = Promise.resolve();
    let ended: Promise<unknown> = Promise.resolve();
    const r = {
        mode: inner.mode,
        header(text: string) {
            inner.header(text);
            n.setRunId(/\brun (\S+)/.exec(text)?.[1]);
            started = n.start(`${summary}\n${text}`);
        },
        stepStart(step: StepRecord, index: number, total: number) {
            n.stepStarted(step.id, index, total);
            inner.stepStart(step, index, total);
        },
        progress: (line: string) => inner.progress(line),
        stepEnd(step: StepRecord) {
            n.stepEnded(step.id, step.status);
            inner.stepEnd(step);
        },
        note: (line: string) => inner.note(line),
        finish(doc: RunDocument) {
            inner.finish(doc);
            ended = started.then(() => n.end(doc.outcome, doc.message));
        },
        get settled() {
            return started.then(() => ended);
        },
    };
    return r;
}

/** The commands whose runs notify: a failover or a restore is an incident stakeholders follow. */
export const NOTIFYING_COMMANDS: readonly string[] = ["failover", "restore"];

export interface NotifyConfig {
    readonly namePrefix: string;
    readonly environment: string;
    readonly regions: { readonly primary: string; readonly dr: string };
    /** The stack config's notifications section, when it has one. */
    readonly notifications?: { readonly enabled?: boolean; readonly updateEverySeconds?: number; readonly incidentDeadlineSeconds?: number };
}

/**
 * The run's reporter, wrapped to notify when the command is a failover or restore on the
 * platform (the lab has no SNS unless FORTRESS_SNS_ENDPOINT points at one), not a dry run,
 * and notifications are not disabled (config notifications.enabled, or FORTRESS_NOTIFY=off).
 * The alert topics are the stack's own (`<namePrefix>-<environment>-alerts` in the DR and the
 * primary region), found by name.
 */
export function notifyingRun(
    command: string,
    stackName: string,
    config: NotifyConfig,
    driverKind: "lab" | "platform",
    dryRun: boolean,
    reporter: Reporter,
    env: NodeJS.ProcessEnv = process.env,
): { reporter: Reporter; settled: () => Promise<unknown> } {
    const endpoint = env.FORTRESS_SNS_ENDPOINT || undefined;
    const off = env.FORTRESS_NOTIFY === "off" || config.notifications?.enabled === false;
    if (!NOTIFYING_COMMANDS.includes(command) || dryRun || off || (driverKind === "lab" && !endpoint)) return { reporter, settled: async () => undefined };
    const publisher = new SnsPublisher(endpoint ? { endpoint } : {});
    const name = `${config.namePrefix}-${config.environment}-alerts`;
    const regions = [...new Set([config.regions.dr, config.regions.primary])];
    // Each region's topic is looked up (ListTopics) on its first notice, inside that notice's
    // deadline and retries; a region whose lookup fails is asked again on the next try.
    const arns = new Map<string, Promise<string>>();
    const arnIn = (region: string) => {
        let p = arns.get(region);
        if (!p) {
            p = publisher.resolve([{ region, name }]).then(([arn]) => arn);
            p.catch(() => arns.delete(region));
            arns.set(region, p);
        }
        return p;
    };
    const notifier = new IncidentNotifier({
        command,
        stack: stackName,
        // Stand-ins naming the region (the account is not known until the lookup).
        topicArns: regions.map((r) => `arn:aws:sns:${r}:000000000000:${name}`),
        updateEverySeconds: config.notifications?.updateEverySeconds,
        incidentDeadlineSeconds: config.notifications?.incidentDeadlineSeconds,
        publisher: { publish: async (arn, subject, message) => publisher.publish(await arnIn(topicRegion(arn)), subject, message) },
        note: (l) => reporter.note(l),
    });
    const wrapped = notifyingReporter(reporter, notifier, `stack ${stackName} (environment ${config.environment}); alert topics ${name} in ${regions.join(", ")}`);
    return {
        reporter: wrapped,
        settled: async () => {
            await wrapped.settled;
            publisher.destroy();
        },
    };
}
