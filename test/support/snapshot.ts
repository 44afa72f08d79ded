/**
 * A snapshot of everything the Worker stores: every row of every D1 table and every key of every
 * R2 binding, to prove that a refused request changed nothing. Deferred work of earlier, allowed
 * requests (blob deletions drained by waitUntil) may still remove R2 keys and blob_deletions rows
 * meanwhile, so "unchanged" means: same rows elsewhere, no new blob, no new queued deletion.
 */
import { createHash } from "node:crypto";
import type { Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { STORAGE_LISTER_HOST } from "./worker";

/** Rows that only ever drain on their own: compared as "nothing added". */
const DRAINING = new Set(["blob_deletions"]);
/** Rows that background jobs of earlier requests write at any time (replica copies, failed jobs): not compared. */
const BACKGROUND = new Set(["blob_replicas", "job_dead_letters", "orphan_sweep_positions"]);

export type Snapshot = { rows: string; blobs: string[]; queued: string[] };

let tableNames: Promise<string[]> | undefined;
let r2Bindings: string[] | undefined;

async function tables(mf: Miniflare): Promise<string[]> {
  const db = await mf.getD1Database("DB");
  tableNames ??= db
    .prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations' ORDER BY name",
    )
    .all<{ name: string }>()
    .then((r) => r.results.map((t) => t.name));
  return tableNames;
}

/**
 * Every zone's R2 binding of wrangler.toml. Zone replicas (R2_*_REPLICA) are left out: the replica
 * job of an earlier, allowed request may add a copy there at any time.
 */
export function r2BindingNames(): string[] {
  r2Bindings ??= Object.keys(
    (unstable_getMiniflareWorkerOptions("wrangler.toml").workerOptions as { r2Buckets?: Record<string, unknown> }).r2Buckets ?? {},
  ).filter((b) => !b.endsWith("_REPLICA"));
  return r2Bindings;
}

/**
 * Every blob key currently stored in one R2 binding: asked of the storage lister Worker that
 * startSosWorker runs beside sos-worker (one request, no synchronous proxy calls), else listed
 * through Miniflare's binding proxy (a Miniflare instance started otherwise).
 */
export async function r2Keys(mf: Miniflare, binding: string): Promise<string[]> {
  const listed = await mf.dispatchFetch(`http://${STORAGE_LISTER_HOST}/${encodeURIComponent(binding)}`);
  if (listed.headers.get("x-storage-lister") === "1") return (await listed.json()) as string[];
  await listed.arrayBuffer();
  const r2 = await mf.getR2Bucket(binding);
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await r2.list({ cursor });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys;
}

type Statement = ReturnType<Awaited<ReturnType<Miniflare["getD1Database"]>>["prepare"]>;

/**
 * Each table's SELECT, prepared once per Miniflare instance and run again for every snapshot.
 * Preparing through Miniflare's proxy is a synchronous call (a worker thread woken by Atomics),
 * which once in a few thousand calls found no reply and failed an assertion, leaving the proxy
 * broken for every later call of the file: a test file takes hundreds of snapshots.
 */
const prepared = new WeakMap<Miniflare, Map<string, Statement>>();

async function tableQuery(mf: Miniflare, table: string): Promise<Statement> {
  let byTable = prepared.get(mf);
  if (!byTable) prepared.set(mf, (byTable = new Map()));
  let stmt = byTable.get(table);
  if (!stmt) byTable.set(table, (stmt = (await mf.getD1Database("DB")).prepare(`SELECT * FROM ${table} ORDER BY rowid`)));
  return stmt;
}

export async function snapshot(mf: Miniflare): Promise<Snapshot> {
  const hash = createHash("sha256");
  const queued: string[] = [];
  for (const t of await tables(mf)) {
    if (BACKGROUND.has(t)) continue;
    const { results } = await (await tableQuery(mf, t)).all();
    if (DRAINING.has(t)) queued.push(...results.map((r) => JSON.stringify(r)));
    else hash.update(t + JSON.stringify(results));
  }
  const blobs: string[] = [];
  for (const b of r2BindingNames()) blobs.push(...(await r2Keys(mf, b)).map((k) => `${b}:${k}`));
  return { rows: hash.digest("hex"), blobs: blobs.sort(), queued };
}

/** What changed between two snapshots (empty = nothing). */
export function changes(before: Snapshot, after: Snapshot): string[] {
  const out: string[] = [];
  if (before.rows !== after.rows) out.push("D1 rows changed");
  const added = (a: string[], b: string[]) => {
    const known = new Set(a);
    return b.filter((k) => !known.has(k));
  };
  const blobs = added(before.blobs, after.blobs);
  if (blobs.length) out.push(`new R2 blobs: ${blobs.join(", ")}`);
  const queued = added(before.queued, after.queued);
  if (queued.length) out.push(`new queued blob deletions: ${queued.join(", ")}`);
  return out;
}
