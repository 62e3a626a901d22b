/**
 * The WAN between the lab's two regions: a TCP proxy per link, in this process, that holds
 * every chunk for a one-way delay in each direction, can cap the bandwidth (a token bucket
 * per direction), and can partition the link as a black hole.
 *
 * A partition stops forwarding AND stops reading: the proxy pauses both sockets of every
 * pair, so the sender's kernel buffers fill, its TCP window closes and its writes block — no
 * RST, no FIN, nothing comes back. That is what a lost region looks like from outside: the
 * peer neither answers nor says it is gone, and every client waits for its own timeout
 * (libpq's connect_timeout, wal_receiver_timeout, Patroni's and etcd's request timeouts).
 * New connections during a partition are accepted by the listener and then hang: Node's
 * listener accepts on its own, and a refused connect (RST) would look like a live host with a
 * closed port, which fails fast and hides the timeouts a dead region costs. libpq's
 * connect_timeout covers the whole start-up exchange, so an accepted-then-silent socket costs
 * a PostgreSQL client the same time as a SYN nobody answers. Bytes already read when the
 * partition starts are kept and delivered when it heals, as TCP would retransmit them.
 *
 * A fence is different: it is the control plane cutting a region off (a DNS record removed,
 * an IAM grant revoked), so it closes existing connections and refuses new ones, and it stays
 * after the partition heals.
 */
import * as http from "http";
import * as net from "net";

export interface Target {
    readonly host: string;
    readonly port: number;
}

export interface LinkOptions {
    /** One-way delay added in each direction. @default 35 (about us-east-1 <-> us-west-2) */
    readonly delayMs?: number;
    /** Bandwidth cap per direction in bytes per second. @default no cap */
    readonly bytesPerSecond?: number;
    /** Bytes queued per direction before the proxy stops reading from the sender. @default 4 MiB */
    readonly maxQueuedBytes?: number;
}

export const DEFAULT_DELAY_MS = 35;
const DEFAULT_MAX_QUEUED = 4 * 1024 * 1024;

interface Chunk {
    readonly buf: Buffer;
    readonly due: number;
}

/** One direction of one connection pair: delay, bandwidth, ordering, backpressure. */
class Direction {
    private readonly queue: Chunk[] = [];
    private queued = 0;
    private lastTxEnd = 0;
    private timer: NodeJS.Timeout | undefined;
    private ended = false;
    private drainWait = false;

    constructor(
        private readonly from: net.Socket,
        private readonly to: net.Socket,
        private readonly link: WanLink,
    ) {
        from.on("data", (buf: Buffer) => this.push(buf));
        from.on("end", () => {
            this.ended = true;
            this.pump();
        });
        to.on("drain", () => {
            this.drainWait = false;
            this.resumeIfRoom();
        });
    }

    private push(buf: Buffer): void {
        const now = performance.now();
        const rate = this.link.options.bytesPerSecond;
        // Token bucket: a chunk leaves once the line has sent everything before it.
        const txStart = Math.max(now, this.lastTxEnd);
        const txEnd = rate ? txStart + (buf.length / rate) * 1000 : txStart;
        this.lastTxEnd = txEnd;
        this.queue.push({ buf, due: txEnd + this.link.options.delayMs });
        this.queued += buf.length;
        this.link.bytesForwarded += buf.length;
        if (this.queued > this.link.options.maxQueuedBytes) this.from.pause();
        this.schedule();
    }

    private schedule(): void {
        if (this.timer || this.link.partitioned) return;
        const head = this.queue[0];
        if (!head) {
            if (this.ended && !this.to.destroyed) this.to.end();
            return;
        }
        this.timer = setTimeout(() => {
            this.timer = undefined;
            this.pump();
        }, Math.max(0, head.due - performance.now()));
    }

    /** Delivers every chunk that is due; called by the timer, on end and on heal. */
    pump(): void {
        if (this.link.partitioned || this.to.destroyed) return;
        const now = performance.now();
        while (this.queue.length > 0 && this.queue[0].due <= now + 0.5) {
            const { buf } = this.queue.shift()!;
            this.queued -= buf.length;
            if (!this.to.write(buf)) this.drainWait = true;
        }
        this.resumeIfRoom();
        this.schedule();
    }

    private resumeIfRoom(): void {
        if (!this.link.partitioned && !this.drainWait && this.queued <= this.link.options.maxQueuedBytes && this.from.isPaused()) this.from.resume();
    }

    freeze(): void {
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
        this.from.pause();
    }

    thaw(): void {
        this.resumeIfRoom();
        this.pump();
    }
}

interface Pair {
    readonly client: net.Socket;
    upstream?: net.Socket;
    readonly directions: Direction[];
}

/**
 * One link: listens on 127.0.0.1:<port> (the address the other region is given) and
 * connects each accepted socket to `target()`, resolved per connection — so a link can follow
 * a moving primary, as the primary's internal load balancer does.
 */
export class WanLink {
    readonly options: Required<Omit<LinkOptions, "bytesPerSecond">> & { bytesPerSecond?: number };
    partitioned = false;
    fenced = false;
    bytesForwarded = 0;
    connectionsAccepted = 0;
    private readonly pairs = new Set<Pair>();
    private server: net.Server | undefined;
    port = 0;

    constructor(
        readonly name: string,
        /** The regions this link joins, e.g. ["A", "B"]; partitioning a region cuts every link naming it. */
        readonly regions: readonly string[],
        private readonly target: () => Promise<Target | undefined> | Target | undefined,
        options: LinkOptions = {},
    ) {
        const delayMs = options.delayMs ?? DEFAULT_DELAY_MS;
        if (!Number.isFinite(delayMs) || delayMs < 0) throw new Error(`WAN link ${name}: delayMs ${delayMs}; use a number of milliseconds >= 0`);
        if (options.bytesPerSecond !== undefined && !(options.bytesPerSecond > 0)) {
            throw new Error(`WAN link ${name}: bytesPerSecond ${options.bytesPerSecond}; use a positive number or leave it out for no cap`);
        }
        this.options = { delayMs, maxQueuedBytes: options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED, ...(options.bytesPerSecond ? { bytesPerSecond: options.bytesPerSecond } : {}) };
    }

    listen(port = 0): Promise<number> {
        return new Promise((resolve, reject) => {
            const server = net.createServer((socket) => this.accept(socket));
            server.once("error", reject);
            server.listen(port, "127.0.0.1", () => {
                this.server = server;
                this.port = (server.address() as net.AddressInfo).port;
                resolve(this.port);
            });
        });
    }

    get address(): Target {
        return { host: "127.0.0.1", port: this.port };
    }

    private accept(client: net.Socket): void {
        if (this.fenced) {
            client.destroy();
            return;
        }
        this.connectionsAccepted++;
        client.setNoDelay(true);
        client.on("error", () => undefined);
        const pair: Pair = { client, directions: [] };
        this.pairs.add(pair);
        client.pause();
        client.on("close", () => this.drop(pair));
        if (this.partitioned) return; // accepted, then silence: connect() upstream only after the heal
        void this.connectUpstream(pair);
    }

    private async connectUpstream(pair: Pair): Promise<void> {
        let t: Target | undefined;
        try {
            t = await this.target();
        } catch {
            t = undefined;
        }
        if (pair.client.destroyed) return;
        if (!t) {
            // Nothing to forward to (no primary right now): the caller sees a closed connection, as from a load balancer without a healthy target.
            pair.client.destroy();
            this.pairs.delete(pair);
            return;
        }
        const upstream = net.createConnection({ host: t.host, port: t.port });
        upstream.setNoDelay(true);
        pair.upstream = upstream;
        upstream.pause();
        upstream.on("error", () => undefined);
        upstream.on("close", () => this.drop(pair));
        upstream.once("connect", () => {
            pair.directions.push(new Direction(pair.client, upstream, this), new Direction(upstream, pair.client, this));
            if (this.partitioned) for (const d of pair.directions) d.freeze();
            else {
                pair.client.resume();
                upstream.resume();
            }
        });
    }

    private drop(pair: Pair): void {
        if (!this.pairs.has(pair)) return;
        // While partitioned, a close on one side must not reach the other: the black hole eats the FIN too.
        if (this.partitioned && !this.fenced) return;
        this.pairs.delete(pair);
        // Let queued bytes go out before closing (end, not destroy) unless the link is fenced.
        setTimeout(() => {
            pair.client.destroy();
            pair.upstream?.destroy();
        }, this.options.delayMs + 50);
    }

    partition(): void {
        this.partitioned = true;
        for (const p of this.pairs) for (const d of p.directions) d.freeze();
    }

    heal(): void {
        this.partitioned = false;
        for (const p of [...this.pairs]) {
            if (!p.upstream && !p.client.destroyed) void this.connectUpstream(p);
            for (const d of p.directions) d.thaw();
            if (p.client.destroyed || p.upstream?.destroyed) this.drop(p);
        }
    }

    /** Control-plane cut: closes every connection now and refuses new ones, partition or not, until `unfence`. */
    fence(): void {
        this.fenced = true;
        for (const p of [...this.pairs]) {
            p.client.destroy();
            p.upstream?.destroy();
            this.pairs.delete(p);
        }
    }

    unfence(): void {
        this.fenced = false;
    }

    get openConnections(): number {
        return this.pairs.size;
    }

    close(): Promise<void> {
        for (const p of [...this.pairs]) {
            p.client.destroy();
            p.upstream?.destroy();
        }
        this.pairs.clear();
        return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
    }
}

/** Every link of the lab, by name; partitions and fences act on a region's links. */
export class Wan {
    readonly links = new Map<string, WanLink>();

    async add(link: WanLink): Promise<WanLink> {
        if (this.links.has(link.name)) throw new Error(`WAN link ${link.name} exists already`);
        await link.listen();
        this.links.set(link.name, link);
        return link;
    }

    get(name: string): WanLink {
        const l = this.links.get(name);
        if (!l) throw new Error(`no WAN link named ${name}; links: ${[...this.links.keys()].join(", ")}`);
        return l;
    }

    of(region: string): WanLink[] {
        return [...this.links.values()].filter((l) => l.regions.includes(region));
    }

    partition(region: string): void {
        for (const l of this.of(region)) l.partition();
    }

    heal(region: string): void {
        for (const l of this.of(region)) l.heal();
    }

    async closeAll(): Promise<void> {
        await Promise.all([...this.links.values()].map((l) => l.close()));
    }
}

/** A tiny echo server: the far end of the delay measurement. */
function echoServer(): Promise<{ port: number; close: () => Promise<void> }> {
    return new Promise((resolve) => {
        const server = net.createServer((s) => {
            s.setNoDelay(true);
            s.on("error", () => undefined);
            s.pipe(s);
        });
        server.listen(0, "127.0.0.1", () => resolve({ port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) }));
    });
}

/** Round trips of a 64-byte message on one connection, in ms. */
async function roundTrips(port: number, n: number): Promise<number[]> {
    const socket = net.createConnection({ host: "127.0.0.1", port });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
        socket.once("connect", () => resolve());
        socket.once("error", reject);
    });
    const out: number[] = [];
    const msg = Buffer.alloc(64, 0x61);
    try {
        for (let i = 0; i < n; i++) {
            const t = performance.now();
            await new Promise<void>((resolve, reject) => {
                let got = 0;
                const timer = setTimeout(() => reject(new Error("no echo within 5 s")), 5000);
                const onData = (b: Buffer) => {
                    got += b.length;
                    if (got >= msg.length) {
                        clearTimeout(timer);
                        socket.off("data", onData);
                        resolve();
                    }
                };
                socket.on("data", onData);
                socket.write(msg);
            });
            out.push(performance.now() - t);
        }
    } finally {
        socket.destroy();
    }
    return out;
}

export interface DelayMeasurement {
    readonly configuredMs: number;
    /** Added one-way delay: (round trip through the link - direct round trip) / 2. */
    readonly addedOneWayMs: { readonly min: number; readonly median: number; readonly p95: number; readonly max: number };
    readonly samples: number;
}

const pct = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const r2 = (x: number) => Math.round(x * 100) / 100;

/**
 * Measures what a link with `options` adds, on this machine and its current load: round trips
 * of small messages through a fresh link to an echo server, minus direct round trips.
 */
export async function measureAddedDelay(options: LinkOptions, samples = 20): Promise<DelayMeasurement> {
    const echo = await echoServer();
    const link = new WanLink("delay-probe", ["probe"], () => ({ host: "127.0.0.1", port: echo.port }), options);
    await link.listen();
    try {
        const direct = await roundTrips(echo.port, samples);
        const via = await roundTrips(link.port, samples);
        const base = pct(direct, 50);
        const added = via.map((v) => (v - base) / 2);
        return {
            configuredMs: link.options.delayMs,
            addedOneWayMs: { min: r2(Math.min(...added)), median: r2(pct(added, 50)), p95: r2(pct(added, 95)), max: r2(Math.max(...added)) },
            samples,
        };
    } finally {
        await link.close();
        await echo.close();
    }
}

/**
 * The lab's control plane, over HTTP on 127.0.0.1, for a `fortress` process outside the drill:
 * the global services a regional failover still has when a region is gone — the DNS answer
 * clients get (Route 53's failover record) and the network/IAM cut of a region's links.
 *   GET  /state                     {dns, links: {name: {partitioned, fenced, port}}}
 *   POST /dns?active=A|B            where clients' entry point sends new connections
 *   POST /fence?link=<name>         fences one link (closes its connections, refuses new ones)
 */
export class WanControl {
    dns: string;
    private server: http.Server | undefined;
    port = 0;

    constructor(
        private readonly wan: Wan,
        initialDns: string,
    ) {
        this.dns = initialDns;
    }

    state(): { dns: string; links: Record<string, { partitioned: boolean; fenced: boolean; port: number }> } {
        return { dns: this.dns, links: Object.fromEntries([...this.wan.links.values()].map((l) => [l.name, { partitioned: l.partitioned, fenced: l.fenced, port: l.port }])) };
    }

    async listen(): Promise<number> {
        this.server = http.createServer((req, res) => {
            const url = new URL(req.url ?? "/", "http://lab");
            const reply = (status: number, body: unknown) => {
                res.writeHead(status, { "content-type": "application/json" });
                res.end(JSON.stringify(body));
            };
            try {
                if (req.method === "GET" && url.pathname === "/state") return reply(200, this.state());
                if (req.method === "POST" && url.pathname === "/dns") {
                    const active = url.searchParams.get("active") ?? "";
                    if (!/^[AB]$/.test(active)) return reply(400, { error: `active=${active}: use A or B` });
                    this.dns = active;
                    return reply(200, this.state());
                }
                if (req.method === "POST" && url.pathname === "/fence") {
                    this.wan.get(url.searchParams.get("link") ?? "").fence();
                    return reply(200, this.state());
                }
                return reply(404, { error: `${req.method} ${url.pathname}: not a lab control route` });
            } catch (e) {
                return reply(400, { error: e instanceof Error ? e.message : String(e) });
            }
        });
        const server = this.server;
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
        this.port = (server.address() as net.AddressInfo).port;
        return this.port;
    }

    close(): Promise<void> {
        return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
    }
}
