/**
 * The application data the erasure procedures act on, shared by the drills that replay the
 * erasure ledger (drills/erasure, drills/failover): users keyed by the HMAC of their id, four
 * orders each, the stack's routines `erase_subject($1)` / `subject_rows($1)` (the names the
 * stacks' `erasure.database` declares), and two uploads per owner.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { LedgerLab } from "./ledger-lab";

/** Runs one SQL text with parameters on the application's database. */
export type AppQuery = (sql: string, params?: unknown[]) => Promise<unknown>;

export const ORDERS_PER_USER = 4;

export const APP_SCHEMA_SQL = `
    create table app_users (id text primary key, subject_hmac text not null, email text not null);
    create table app_orders (id bigserial primary key, user_id text not null references app_users(id), amount numeric not null);
    create index on app_users (subject_hmac);
    create function erase_subject(h text) returns integer language plpgsql as $f$
    declare n integer; m integer;
    begin
        delete from app_orders where user_id in (select id from app_users where subject_hmac = h); get diagnostics n = row_count;
        delete from app_users where subject_hmac = h; get diagnostics m = row_count;
        return n + m;
    end $f$;
    create function subject_rows(h text) returns bigint language sql as $f$
        select (select count(*) from app_orders o join app_users u on u.id = o.user_id where u.subject_hmac = h)
             + (select count(*) from app_users where subject_hmac = h) $f$;`;

/** Creates the schema and inserts `ids` as users with ORDERS_PER_USER orders each. */
export async function seedApp(q: AppQuery, ids: readonly string[], hmac: (id: string) => string): Promise<void> {
    await q(APP_SCHEMA_SQL);
    for (let i = 0; i < ids.length; i += 500) {
        const chunk = ids.slice(i, i + 500);
        await q(`insert into app_users (id, subject_hmac, email) select * from unnest($1::text[], $2::text[], $3::text[])`, [chunk, chunk.map(hmac), chunk.map((id) => `${id}@example.test`)]);
    }
    await q(`insert into app_orders (user_id, amount) select id, g * 1.5 from app_users, generate_series(1, ${ORDERS_PER_USER}) g`);
}

/** The upload keys one owner has (the stacks' `erasure.uploads.prefixes` is `users/{subject}/`). */
export const uploadKeysOf = (id: string) => [`users/${id}/avatar.png`, `users/${id}/docs/cv.txt`];

/** Puts every owner's uploads into the ledger lab's uploads bucket (admin keys). */
export async function putUploads(ledger: LedgerLab, owners: readonly string[]): Promise<void> {
    const admin = ledger.client("admin");
    for (const id of owners) for (const k of uploadKeysOf(id)) await admin.send(new PutObjectCommand({ Bucket: ledger.uploadsBucket, Key: k, Body: `bytes of ${k}` }));
}
