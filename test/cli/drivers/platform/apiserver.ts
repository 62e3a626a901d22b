/**
 * A small in-process HTTP server on 127.0.0.1 that plays the Kubernetes API server for the
 * platform driver's tests: the driver talks to it through the real @kubernetes/client-node
 * (REST calls and the WebSocket exec channel protocol, v4.channel.k8s.io). It records every
 * request, validates every custom resource POSTed to it against the vendored CRDs (as a real
 * API server with those CRDs would, minus CEL), and answers from handlers the test scripts.
 *
 * Not a Kubernetes API server: no admission, no watch, no field selectors; only the calls the
 * driver makes.
 */
import * as http from "http";
import { AddressInfo } from "net";
import { KubeConfig } from "@kubernetes/client-node";
import Ajv from "ajv";
import { strictSchema, validateCustomResource, vendoredCrds } from "../../../../crds";

export interface Recorded {
    readonly method: string;
    readonly path: string;
    readonly query: URLSearchParams;
    readonly body?: any;
}

export type Reply = { status: number; body?: unknown; text?: string } | undefined;
export type Handler = (req: Recorded) => Reply | Promise<Reply>;
export type ExecHandler = (o: { namespace: string; pod: string; container: string; command: string[] }) => { stdout?: string; stderr?: string; code: number };

export interface FakeApi {
    readonly kc: KubeConfig;
    readonly requests: Recorded[];
    /** Handlers tried in order; the first that returns a reply answers. Unhandled: 404 NotFound Status. */
    readonly handlers: Handler[];
    exec: ExecHandler;
    readonly execs: { namespace: string; pod: string; container: string; command: string[] }[];
    close(): Promise<void>;
}

export const notFound = (what: string): Reply => ({ status: 404, body: { kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404, message: `${what} not found` } });

export async function startFakeApi(): Promise<FakeApi> {
    const requests: Recorded[] = [];
    const handlers: Handler[] = [];
    const execs: FakeApi["execs"] = [];
    const state = { exec: ((o) => ({ stderr: `no exec handler for ${o.command.join(" ")}`, code: 127 })) as ExecHandler };
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c) => chunks.push(c));
        req.on("end", async () => {
            const url = new URL(req.url ?? "/", "http://x");
            const raw = Buffer.concat(chunks).toString("utf8");
            let body: unknown;
            try {
                body = raw ? JSON.parse(raw) : undefined;
            } catch {
                body = raw;
            }
            const rec: Recorded = { method: req.method ?? "GET", path: url.pathname, query: url.searchParams, body };
            requests.push(rec);
            let reply: Reply;
            // A real API server with these CRDs rejects an invalid custom resource (422).
            if (rec.method === "POST" && /^\/apis\/(pgv2\.percona\.com|velero\.io)\//.test(rec.path)) {
                const problems = validateCustomResource(body);
                if (problems.length) reply = { status: 422, body: { kind: "Status", status: "Failure", reason: "Invalid", code: 422, message: JSON.stringify(problems) } };
            }
            if (!reply) {
                for (const h of handlers) {
                    reply = await h(rec);
                    if (reply) break;
                }
            }
            reply ??= notFound(`${rec.method} ${rec.path}`);
            res.writeHead(reply!.status, { "content-type": reply!.text !== undefined ? "text/plain" : "application/json" });
            res.end(reply!.text ?? JSON.stringify(reply!.body ?? {}));
        });
    });
    const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols: Set<string>) => (protocols.has("v4.channel.k8s.io") ? "v4.channel.k8s.io" : false) });
    server.on("upgrade", (req, socket, head) => {
        const url = new URL(req.url ?? "/", "http://x");
        const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/.exec(url.pathname);
        if (!m) {
            socket.destroy();
            return;
        }
        wss.handleUpgrade(req, socket, head, (ws) => {
            const call = { namespace: m[1], pod: m[2], container: url.searchParams.get("container") ?? "", command: url.searchParams.getAll("command") };
            execs.push(call);
            requests.push({ method: "EXEC", path: url.pathname, query: url.searchParams });
            const r = state.exec(call);
            const frame = (ch: number, s: string) => ws.send(Buffer.concat([Buffer.from([ch]), Buffer.from(s, "utf8")]));
            if (r.stdout) frame(1, r.stdout);
            if (r.stderr) frame(2, r.stderr);
            const status = r.code === 0 ? { metadata: {}, status: "Success" } : { metadata: {}, status: "Failure", message: `command terminated with non-zero exit code: ${r.code}`, reason: "NonZeroExitCode", details: { causes: [{ reason: "ExitCode", message: String(r.code) }] } };
            frame(3, JSON.stringify(status));
            ws.close();
        });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    const kc = new KubeConfig();
    kc.loadFromOptions({
        clusters: [{ name: "fake", server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
        users: [{ name: "u", token: "t" }],
        contexts: [{ name: "fake", cluster: "fake", user: "u" }],
        currentContext: "fake",
    });
    return {
        kc,
        requests,
        handlers,
        execs,
        get exec() {
            return state.exec;
        },
        set exec(h: ExecHandler) {
            state.exec = h;
        },
        close: () =>
            new Promise<void>((r) => {
                wss.close();
                server.closeAllConnections?.();
                server.close(() => r());
            }),
    } as FakeApi;
}

/** The part of the `ws` package's server this file uses (the package ships no types here; client-node depends on it). */
interface WsServer {
    handleUpgrade(req: http.IncomingMessage, socket: unknown, head: Buffer, cb: (ws: { send(b: Buffer): void; close(): void }) => void): void;
    close(): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { WebSocketServer } = require("ws") as { WebSocketServer: new (o: { noServer: boolean; handleProtocols: (p: Set<string>) => string | false }) => WsServer };

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });

/** Checks a status fixture against the CRD's own status schema (so fixtures cannot drift from the CRD). */
export function assertStatusFixture(file: "percona-pg-crd.yaml" | "velero-crds.yaml", kind: string, status: unknown): void {
    const crd = vendoredCrds(file).find((c) => c.kind === kind);
    if (!crd) throw new Error(`no CRD ${kind} in ${file}`);
    const schema = (crd.schema as { properties: { status?: object } }).properties.status;
    if (!schema) throw new Error(`CRD ${kind} has no status schema`);
    const v = ajv.compile(strictSchema(schema));
    if (!v(status)) throw new Error(`fixture status of ${kind} does not match its CRD status schema: ${ajv.errorsText(v.errors)}`);
}
