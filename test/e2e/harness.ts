/**
 * Starts the Worker in workerd (Miniflare) with real local D1 and R2, applies the migrations,
 * and hands out S3 clients for the root user. One Worker per test file; storage is throwaway.
 */
import { S3Client } from "@aws-sdk/client-s3";
import type { Miniflare } from "miniflare";
import { r2Keys as r2KeysOf } from "../support/snapshot";
import { startSosWorker } from "../support/worker";

export { applyMigrations } from "../support/worker";

export const ROOT = { accessKeyId: "SOSROOTTESTKEY0000000001", secretAccessKey: "root-test-secret-0123456789abcdefghijklmn" };
export const ADMIN_TOKEN = "test-admin-token-0123456789";
const MASTER_KEY = "test-master-key-0123456789";

export type Harness = {
  url: string;
  mf: Miniflare;
  client: (creds?: { accessKeyId: string; secretAccessKey: string }, opts?: { region?: string }) => S3Client;
  // biome-ignore lint/suspicious/noExplicitAny: parsed JSON whose fields the test reads
  admin: (method: string, path: string, body?: unknown) => Promise<{ status: number; json: any }>;
  dispose: () => Promise<void>;
};

/** `entry`: a test-only Worker entry wrapping src/index.ts (see test/support/worker.ts). */
export async function startWorker(vars: Record<string, string> = {}, opts: { entry?: string } = {}): Promise<Harness> {
  const { mf, url } = await startSosWorker({
    entry: opts.entry,
    bindings: {
      SOS_ROOT_ACCESS_KEY: ROOT.accessKeyId,
      SOS_ROOT_SECRET_KEY: ROOT.secretAccessKey,
      SOS_ADMIN_TOKEN: ADMIN_TOKEN,
      SOS_MASTER_KEY: MASTER_KEY,
      // Most tests check that R2 keeps exactly the live blobs right after each request; the grace
      // period has its own test (objects.test.ts).
      SOS_BLOB_DELETION_GRACE_SECONDS: "0",
      // Many tests count R2 blobs per object, so objects are blob-backed here unless a test turns
      // inlining on (inline-objects.test.ts, round-trips.test.ts); `npm start` uses the default.
      SOS_INLINE_MAX_BYTES: "0",
      ...vars,
    },
  });
  const clients: S3Client[] = [];
  return {
    url,
    mf,
    client(creds = ROOT, opts = {}) {
      const c = new S3Client({
        endpoint: url,
        region: opts.region ?? "us-east-1",
        forcePathStyle: true,
        credentials: creds,
        maxAttempts: 1,
      });
      clients.push(c);
      return c;
    },
    async admin(method, p, body) {
      const res = await fetch(url + p, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : null };
    },
    async dispose() {
      for (const c of clients) c.destroy();
      await mf.dispose();
    },
  };
}

/** Every blob key currently stored in a zone's R2 bucket (to prove nothing leaked). */
export function r2Keys(mf: Miniflare, binding = "R2_CH_GVA_2"): Promise<string[]> {
  return r2KeysOf(mf, binding);
}

/** Runs the cron sweep once, as if scheduled at `at` (default now). */
export async function runCron(h: Harness, at = new Date()): Promise<void> {
  const worker = await h.mf.getWorker();
  const result = await worker.scheduled({ cron: "*/10 * * * *", scheduledTime: at });
  if (result.outcome !== "ok") throw new Error(`scheduled handler ended with ${result.outcome}`);
}

export async function streamToBuffer(body: unknown): Promise<Buffer> {
  const b = body as { transformToByteArray?: () => Promise<Uint8Array> };
  return Buffer.from(await b.transformToByteArray!());
}
