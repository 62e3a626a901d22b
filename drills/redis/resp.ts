/**
 * A minimal RESP2 client over one TCP connection: enough for the drill's writer and its
 * checks, with pipelining (many commands in flight, replies matched in order). Written here
 * rather than taken from npm so the drill knows exactly when a write was acknowledged: the
 * promise resolves when the server's reply has arrived, not when a library decides to.
 */
import * as net from "net";

export type Reply = string | number | null | Reply[] | RespError;

export class RespError extends Error {}

interface Pending {
    resolve(r: Reply): void;
    reject(e: Error): void;
}

export class RespClient {
    private buffer: Buffer = Buffer.alloc(0);
    private readonly pending: Pending[] = [];
    private closedError: Error | undefined;

    private constructor(private readonly socket: net.Socket) {
        socket.setNoDelay(true);
        socket.on("data", (chunk) => this.onData(chunk));
        const fail = (e: Error) => {
            this.closedError ??= e;
            for (const p of this.pending.splice(0)) p.reject(this.closedError);
        };
        socket.on("error", fail);
        socket.on("close", () => fail(new Error("connection closed")));
    }

    static connect(port: number, host = "127.0.0.1"): Promise<RespClient> {
        return new Promise((resolve, reject) => {
            const socket = net.createConnection({ port, host });
            socket.once("connect", () => {
                socket.removeListener("error", reject);
                resolve(new RespClient(socket));
            });
            socket.once("error", reject);
        });
    }

    /** Sends one command; resolves with its reply (a RespError reply rejects). */
    command(...args: (string | number)[]): Promise<Reply> {
        if (this.closedError) return Promise.reject(this.closedError);
        const parts = [`*${args.length}\r\n`];
        for (const a of args) {
            const s = String(a);
            parts.push(`$${Buffer.byteLength(s)}\r\n${s}\r\n`);
        }
        return new Promise((resolve, reject) => {
            this.pending.push({
                resolve: (r) => (r instanceof RespError ? reject(r) : resolve(r)),
                reject,
            });
            this.socket.write(parts.join(""));
        });
    }

    /** True once the connection has failed or closed; every later command rejects. */
    get closed(): boolean {
        return this.closedError !== undefined;
    }

    close(): void {
        this.socket.destroy();
    }

    private onData(chunk: Buffer): void {
        this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
        for (;;) {
            const parsed = parse(this.buffer, 0);
            if (parsed === undefined) return;
            this.buffer = this.buffer.subarray(parsed.end);
            const p = this.pending.shift();
            if (p) p.resolve(parsed.value);
        }
    }
}

/** Parses one reply starting at `at`; undefined when the buffer does not yet hold all of it. */
function parse(buf: Buffer, at: number): { value: Reply; end: number } | undefined {
    const eol = buf.indexOf("\r\n", at);
    if (eol < 0) return undefined;
    const type = String.fromCharCode(buf[at]);
    const line = buf.toString("utf8", at + 1, eol);
    switch (type) {
        case "+":
            return { value: line, end: eol + 2 };
        case "-":
            return { value: new RespError(line), end: eol + 2 };
        case ":":
            return { value: Number(line), end: eol + 2 };
        case "$": {
            const len = Number(line);
            if (len < 0) return { value: null, end: eol + 2 };
            if (buf.length < eol + 2 + len + 2) return undefined;
            return { value: buf.toString("utf8", eol + 2, eol + 2 + len), end: eol + 2 + len + 2 };
        }
        case "*": {
            const n = Number(line);
            if (n < 0) return { value: null, end: eol + 2 };
            const items: Reply[] = [];
            let pos = eol + 2;
            for (let i = 0; i < n; i++) {
                const item = parse(buf, pos);
                if (item === undefined) return undefined;
                items.push(item.value);
                pos = item.end;
            }
            return { value: items, end: pos };
        }
        default:
            throw new Error(`RESP: unexpected reply type ${JSON.stringify(type)}`);
    }
}
