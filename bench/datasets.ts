/**
 * Listing data sets, written straight into storage: 20,000 objects through HTTP PUTs would take
 * minutes and measure PutObject, not listing. sos-worker gets its object rows inserted into D1 by
 * one set-based statement per bucket (the schema of migrations/0001_init.sql: one row per version,
 * the newest has is_latest = 1 and the highest seq); the objects are empty, so no blob is needed.
 * The baseline Worker writes the same keys as empty R2 objects itself.
 */
import { expectStatus, send, signed } from "./http";
import type { BenchWorker } from "./workers";

/** Keys per common prefix: `p0000/o00` .. `p0000/o09`, `p0001/o00`, ... */
export const KEYS_PER_PREFIX = 10;

/** Key i of a data set; bench/baseline-worker.js builds the same names. */
export function datasetKey(i: number): string {
  return `p${String(Math.floor(i / KEYS_PER_PREFIX)).padStart(4, "0")}/o${String(i % KEYS_PER_PREFIX).padStart(2, "0")}`;
}

const EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e";

export async function createSosBucket(sos: BenchWorker, name: string): Promise<void> {
  const u = `${sos.url}/${name}`;
  expectStatus(`CreateBucket ${name}`, await send("PUT", u, { headers: await signed("PUT", u) }));
}

/** PutBucketVersioning Enabled; false when the Worker answers NotImplemented. */
export async function enableVersioning(sos: BenchWorker, name: string): Promise<boolean> {
  const xml = `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>`;
  const u = `${sos.url}/${name}?versioning`;
  const headers = await signed("PUT", u, { "content-length": String(Buffer.byteLength(xml)) });
  const r = await send("PUT", u, { headers, body: xml });
  if (r.status === 501) return false;
  expectStatus(`PutBucketVersioning ${name}`, r);
  return true;
}

/**
 * Inserts `keys` keys with `versions` versions each into an existing sos bucket. With one version the
 * rows are `null` versions, as an unversioned bucket's writes make them.
 */
export async function fillSosBucket(sos: BenchWorker, name: string, keys: number, versions: number): Promise<void> {
  const db = await sos.mf.getD1Database("DB");
  const bucket = await db.prepare("SELECT id, owner_id FROM buckets WHERE name = ?").bind(name).first<{ id: string; owner_id: string }>();
  if (!bucket) throw new Error(`bucket ${name} is not in D1`);
  await db
    .prepare(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?3),
                     v(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM v WHERE j + 1 <= ?4)
       INSERT INTO objects (id, bucket_id, key, version_id, seq, is_latest, is_delete_marker, size, etag, last_modified, owner_id)
       SELECT lower(hex(randomblob(12))), ?1, printf('p%04d/o%02d', i / ?5, i % ?5),
              CASE WHEN ?4 = 1 THEN 'null' ELSE lower(hex(randomblob(16))) END,
              j, j = ?4, 0, 0, ?6, ?7 + j, ?2
       FROM n, v`,
    )
    .bind(bucket.id, bucket.owner_id, keys, versions, KEYS_PER_PREFIX, EMPTY_MD5, Date.now())
    .run();
  const count = await db.prepare("SELECT COUNT(*) AS n FROM objects WHERE bucket_id = ?").bind(bucket.id).first<{ n: number }>();
  if (count?.n !== keys * versions) throw new Error(`${name}: expected ${keys * versions} rows, found ${count?.n}`);
}

/**
 * Makes the baseline hold exactly the data set's keys. Local R2 is slow to fill (each put writes a
 * blob file and a row: 1-4 ms per put even 32 at a time, i.e. 1-3 minutes for 20,000 keys on this
 * box), so the filled state is kept between runs (see main.ts) and only filled when it is not
 * complete. Puts of the same names are idempotent, so an interrupted fill is simply redone.
 */
export async function fillBaseline(base: BenchWorker, keys: number): Promise<"reused" | "filled"> {
  const count = async () => (JSON.parse(expectStatus("R2 count", await send("GET", `${base.url}/?count`)).body.toString("utf8")) as { count: number }).count;
  if ((await count()) === keys) return "reused";
  expectStatus("R2 fill", await send("POST", `${base.url}/?fill=${keys}&width=${KEYS_PER_PREFIX}&concurrency=32`), 204);
  const n = await count();
  if (n !== keys) throw new Error(`R2 fill: ${n} objects, expected ${keys}`);
  return "filled";
}

/** Makes the baseline's bench_objects table hold exactly the data set's keys, one row each (one set-based INSERT). */
export async function fillBaselineD1(base: BenchWorker, keys: number): Promise<void> {
  const db = await base.mf.getD1Database("DB");
  const rows = async () => (await db.prepare("SELECT COUNT(*) AS n FROM bench_objects").first<{ n: number }>())?.n;
  if ((await rows()) === keys) return;
  await db.prepare("DELETE FROM bench_objects").run();
  await db
    .prepare(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1)
       INSERT INTO bench_objects (key, size, etag, last_modified) SELECT printf('p%04d/o%02d', i / ?2, i % ?2), 0, ?3, ?4 FROM n`,
    )
    .bind(keys, KEYS_PER_PREFIX, EMPTY_MD5, Date.now())
    .run();
  const n = await rows();
  if (n !== keys) throw new Error(`D1 fill: ${n} rows, expected ${keys}`);
}
