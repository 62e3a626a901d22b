/**
 * A tiny authoritative DNS responder on 127.0.0.1 (UDP) for the failover tests: it answers a
 * query for a configured name with one CNAME (the failover record as Route 53 would answer it
 * at that moment), NXDOMAIN for an unknown name, or nothing at all when the name is set to
 * "silent" (a name server that does not answer). Records every query (name, type).
 * Not a DNS server: one question per message, CNAME answers only.
 */
import * as dgram from "dgram";
import type { AddressInfo } from "net";

export interface DnsResponder {
    readonly address: string;
    /** name -> CNAME target, or "silent". */
    readonly records: Map<string, string>;
    readonly queries: { name: string; type: number }[];
    ttl: number;
    close(): Promise<void>;
}

function readName(buf: Buffer, offset: number): { name: string; end: number } {
    const labels: string[] = [];
    let i = offset;
    while (buf[i] !== 0) {
        const len = buf[i];
        labels.push(buf.subarray(i + 1, i + 1 + len).toString("ascii"));
        i += 1 + len;
    }
    return { name: labels.join("."), end: i + 1 };
}

function encodeName(name: string): Buffer {
    const parts = name.replace(/\.$/, "").split(".").map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, "ascii")]));
    return Buffer.concat([...parts, Buffer.from([0])]);
}

export async function startDnsResponder(): Promise<DnsResponder> {
    const sock = dgram.createSocket("udp4");
    const records = new Map<string, string>();
    const queries: { name: string; type: number }[] = [];
    const responder = { address: "", records, queries, ttl: 30, close: () => new Promise<void>((r) => sock.close(() => r())) };
    sock.on("message", (msg, rinfo) => {
        const { name, end } = readName(msg, 12);
        const type = msg.readUInt16BE(end);
        queries.push({ name, type });
        const target = records.get(name.toLowerCase());
        if (target === "silent") return;
        const question = msg.subarray(12, end + 4);
        const header = Buffer.alloc(12);
        msg.copy(header, 0, 0, 2);
        const rd = msg.readUInt16BE(2) & 0x0100;
        header.writeUInt16BE(0x8000 | 0x0400 | rd | (target === undefined ? 3 : 0), 2);
        header.writeUInt16BE(1, 4);
        header.writeUInt16BE(target === undefined ? 0 : 1, 6);
        let answer = Buffer.alloc(0);
        if (target !== undefined) {
            const rdata = encodeName(target);
            const fixed = Buffer.alloc(12);
            fixed.writeUInt16BE(0xc00c, 0);
            fixed.writeUInt16BE(5, 2);
            fixed.writeUInt16BE(1, 4);
            fixed.writeUInt32BE(responder.ttl, 6);
            fixed.writeUInt16BE(rdata.length, 10);
            answer = Buffer.concat([fixed, rdata]);
        }
        sock.send(Buffer.concat([header, question, answer]), rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
    responder.address = `127.0.0.1:${(sock.address() as AddressInfo).port}`;
    return responder;
}
