/**
 * Callers for access-control tests: users and keys made through the admin API, raw requests
 * signed with aws4fetch (or unsigned, for anonymous callers), and a snapshot of everything D1
 * and R2 hold, to prove that a refused request changed nothing.
 */
import { AwsClient } from "aws4fetch";
import { createHash } from "node:crypto";
import { changes, snapshot as snapshotStorage, type Snapshot } from "../support/snapshot";
import type { Harness } from "./harness";

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

/** Every D1 row and R2 key (all tables, all zones): see test/support/snapshot.ts. */
export async function snapshot(h: Harness): Promise<Snapshot> {
  return snapshotStorage(h.mf);
}
export { changes, type Snapshot };

export const md5Base64 = (s: string | Uint8Array) => createHash("md5").update(s).digest("base64");
