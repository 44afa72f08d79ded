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

/**
 * Test-only Worker entry that wraps src/index.ts, counting job messages so that a test can wait for
 * the queue to settle, and injecting faults on request (see the file). Without faults it only counts.
 */
export const FAULT_WORKER = "test/support/fault-worker.ts";

/** `entry`: a test-only Worker entry wrapping src/index.ts (see test/support/worker.ts); FAULT_WORKER by default. */
export async function startWorker(vars: Record<string, string> = {}, opts: { entry?: string } = {}): Promise<Harness> {
  const { mf, url } = await startSosWorker({
    entry: opts.entry ?? FAULT_WORKER,
    bindings: {
      SOS_ROOT_ACCESS_KEY: ROOT.accessKeyId,
      SOS_ROOT_SECRET_KEY: ROOT.secretAccessKey,
      SOS_ADMIN_TOKEN: ADMIN_TOKEN,
      SOS_MASTER_KEY: MASTER_KEY,
      // Most tests check that R2 keeps exactly the live blobs right after each request; the grace
      // period has its own test (objects.test.ts).
      SOS_BLOB_DELETION_GRACE_SECONDS: "0",
      // Failed jobs are retried at once: the tests wait for the queue, not for backoff timers.
      SOS_JOB_RETRY_DELAY_SECONDS: "0",
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

/** Runs the cron trigger once, as if scheduled at `at` (default now), and waits for the jobs it sent to finish. */
export async function runCron(h: Pick<Harness, "mf" | "url">, at = new Date()): Promise<void> {
  const worker = await h.mf.getWorker();
  const result = await worker.scheduled({ cron: "*/10 * * * *", scheduledTime: at });
  if (result.outcome !== "ok") throw new Error(`scheduled handler ended with ${result.outcome}`);
  await settleJobs(h);
}

export type JobCounts = { sent: number; acked: number; retried: number; dropped: number; sendFailures: number; inFlight: number };

/** The job counters of FAULT_WORKER. */
export async function jobCounts(h: Pick<Harness, "url">): Promise<JobCounts> {
  // workerd may close a kept-alive connection between two polls ("other side closed"): ask again.
  for (let attempt = 1; ; attempt++) {
    try {
      return (await (await fetch(`${h.url}/__jobs`)).json()) as JobCounts;
    } catch (e) {
      if (attempt === 3) throw e;
    }
  }
}

/**
 * Waits until every job message sent so far (follow-ups included) has been acknowledged by the
 * consumer (FAULT_WORKER counts them); throws after `timeoutMs` with the counters.
 */
export async function settleJobs(h: Pick<Harness, "url">, timeoutMs = 30_000): Promise<JobCounts> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await jobCounts(h);
    if (counts.inFlight === 0) {
      // Work deferred after a response may send a message just after this check: look once more.
      await new Promise((r) => setTimeout(r, 50));
      const again = await jobCounts(h);
      if (again.inFlight === 0 && again.sent === counts.sent) return again;
    } else if (Date.now() > deadline) throw new Error(`job queue did not settle: ${JSON.stringify(counts)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export type Faults = { r2?: Record<string, string[]>; failSends?: boolean; dropSends?: boolean; duplicateSends?: boolean };

/** Sets FAULT_WORKER's faults (replacing the previous ones; {} = none). */
export async function setFaults(h: Pick<Harness, "url">, faults: Faults): Promise<void> {
  const res = await fetch(`${h.url}/__faults`, { method: "POST", body: JSON.stringify(faults) });
  if (!res.ok) throw new Error(`POST /__faults: ${res.status}`);
}

export async function streamToBuffer(body: unknown): Promise<Buffer> {
  const b = body as { transformToByteArray?: () => Promise<Uint8Array> };
  return Buffer.from(await b.transformToByteArray!());
}
