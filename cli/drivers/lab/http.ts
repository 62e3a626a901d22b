/**
 * One HTTP call on 127.0.0.1 (Patroni's REST API, the lab's control plane), bounded: status 0
 * with the reason when there was no answer within `timeoutMs`, never a hang and never a throw.
 * The failover primitives and the two-region lab (drills/lab) use it.
 */
import * as http from "http";

export interface RestResponse {
    readonly status: number;
    readonly body: string;
}

export function rest(port: number, method: string, p: string, body?: unknown, timeoutMs = 3000): Promise<RestResponse> {
    return new Promise((resolve) => {
        const data = body === undefined ? undefined : JSON.stringify(body);
        const req = http.request(
            { host: "127.0.0.1", port, method, path: p, headers: data ? { "content-type": "application/json", "content-length": Buffer.byteLength(data) } : {} },
            (res) => {
                let text = "";
                res.setEncoding("utf8");
                res.on("data", (d) => (text += d));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
                res.on("error", () => resolve({ status: 0, body: text }));
            },
        );
        const timer = setTimeout(() => {
            req.destroy();
            resolve({ status: 0, body: `no answer within ${timeoutMs} ms` });
        }, timeoutMs);
        req.on("error", (e) => {
            clearTimeout(timer);
            resolve({ status: 0, body: e.message });
        });
        req.on("close", () => clearTimeout(timer));
        req.end(data);
    });
}
