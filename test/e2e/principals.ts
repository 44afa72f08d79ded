/**
 * Callers for access-control tests: users and keys made through the admin API, raw requests
 * signed with aws4fetch (or unsigned, for anonymous callers), and a snapshot of everything D1
 * and R2 hold, to prove that a refused request changed nothing.
 */
import { AwsClient } from "aws4fetch";
import { createHash } from "node:crypto";
import { r2Keys, type Harness } from "./harness";

export type Creds = { accessKeyId: string; secretAccessKey: string };
export type User = { userId: string; displayName: string; email: string | null };

export async function createUser(h: Harness, displayName: string, email?: string): Promise<User> {
  const r = await h.admin("POST", "/_admin/users", { displayName, ...(email ? { email } : {}) });
  if (r.status !== 201) throw new Error(`user create: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

export async function createKey(h: Harness, userId: string, scope: { bucket?: string; operations?: string | string[] } = {}): Promise<Creds> {
  const r = await h.admin("POST", "/_admin/keys", { userId, ...scope });
  if (r.status !== 201) throw new Error(`key create: ${r.status} ${JSON.stringify(r.json)}`);
  return { accessKeyId: r.json.accessKeyId, secretAccessKey: r.json.secretAccessKey };
}

const signers = new Map<string, AwsClient>();

/** One request as `who` (null = anonymous: a plain fetch with no signature). */
export async function send(
  h: Harness,
  who: Creds | null,
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string } = {},
): Promise<Response> {
  const url = h.url + path;
  const req = { method, headers: init.headers, body: init.body };
  if (who === null) return fetch(url, req);
  let signer = signers.get(who.accessKeyId);
  if (!signer) signers.set(who.accessKeyId, (signer = new AwsClient({ ...who, service: "s3", region: "us-east-1", retries: 0 })));
  return signer.fetch(url, req);
}

/** Status and error code of an S3 response (its body consumed). */
export async function outcome(res: Response): Promise<{ status: number; code: string | undefined; body: string }> {
  const body = await res.text();
  return { status: res.status, code: res.status >= 300 ? /<Code>([^<]+)<\/Code>/.exec(body)?.[1] : undefined, body };
}

const TABLES = ["users", "access_keys", "buckets", "objects", "object_parts", "multipart_uploads", "upload_parts"];

export type Snapshot = { rows: string; blobs: string[] };

/**
 * Every row of the metadata tables and every R2 key. Deferred blob deletions of earlier, allowed
 * writes may still remove R2 keys meanwhile, so "unchanged" means: same rows, no new blob.
 */
export async function snapshot(h: Harness): Promise<Snapshot> {
  const db = await h.mf.getD1Database("DB");
  const hash = createHash("sha256");
  for (const t of TABLES) {
    const { results } = await db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all();
    hash.update(t + JSON.stringify(results));
  }
  return { rows: hash.digest("hex"), blobs: (await r2Keys(h.mf)).sort() };
}

/** What changed between two snapshots (empty = nothing). */
export function changes(before: Snapshot, after: Snapshot): string[] {
  const out: string[] = [];
  if (before.rows !== after.rows) out.push("D1 rows changed");
  const known = new Set(before.blobs);
  const added = after.blobs.filter((k) => !known.has(k));
  if (added.length) out.push(`new R2 blobs: ${added.join(", ")}`);
  return out;
}

export const md5Base64 = (s: string | Uint8Array) => createHash("md5").update(s).digest("base64");
