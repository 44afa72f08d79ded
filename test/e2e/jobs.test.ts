/**
 * The job queue end to end (workerd, Miniflare's Queue simulator, real local D1/R2): the cron trigger
 * only sends messages and the consumer runs them; a job failing its every attempt becomes a dead
 * letter that `sos-admin` lists and replays; duplicated messages change nothing. Faults come from the
 * test-only entry test/support/fault-worker.ts.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { CreateBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, jobCounts, r2Keys, runCron, setFaults, settleJobs, startWorker, type Harness } from "./harness";

const run = promisify(execFile);
let h: Harness;
let s3: S3Client;
const HOUR = 3600_000;

beforeAll(async () => {
  // A grace period, so superseded bytes wait for the cron's blob-deletions job; two attempts per job.
  h = await startWorker({ SOS_BLOB_DELETION_GRACE_SECONDS: "3600", SOS_JOB_MAX_ATTEMPTS: "2" });
  s3 = h.client();
  await s3.send(new CreateBucketCommand({ Bucket: "jobs" }));
});
afterAll(() => h?.dispose());

/** sos-admin as a separate process, JSON output. */
// biome-ignore lint/suspicious/noExplicitAny: parsed JSON whose fields the test reads
async function cli(...args: string[]): Promise<any> {
  const { stdout } = await run(process.execPath, ["bin/sos-admin.mjs", "--endpoint", h.url, "--token", ADMIN_TOKEN, ...args, "--json"]);
  return JSON.parse(stdout);
}

async function queuedDeletions(): Promise<string[]> {
  const db = await h.mf.getD1Database("DB");
  return (await db.prepare("SELECT blob_key FROM blob_deletions ORDER BY blob_key").all<{ blob_key: string }>()).results.map((r) => r.blob_key);
}

describe("the job queue", () => {
  it("the cron trigger only sends jobs; the consumer deletes superseded bytes after the grace period", async () => {
    await s3.send(new PutObjectCommand({ Bucket: "jobs", Key: "k", Body: "first" }));
    await s3.send(new PutObjectCommand({ Bucket: "jobs", Key: "k", Body: "second" }));
    await settleJobs(h);
    const [superseded] = await queuedDeletions();
    expect(superseded).toBeDefined();
    const before = await jobCounts(h);
    const worker = await h.mf.getWorker();
    await worker.scheduled({ cron: "*/10 * * * *", scheduledTime: new Date(Date.now() + 2 * HOUR) });
    // The trigger returned having sent messages; the bytes go once the consumer ran them.
    expect((await jobCounts(h)).sent).toBeGreaterThan(before.sent);
    await settleJobs(h);
    expect(await r2Keys(h.mf)).not.toContain(superseded);
    expect(await queuedDeletions()).toEqual([]);
  });

  it("a job failing every attempt becomes a dead letter; sos-admin lists and replays it", async () => {
    await s3.send(new PutObjectCommand({ Bucket: "jobs", Key: "k", Body: "third" }));
    await settleJobs(h);
    const [superseded] = await queuedDeletions();
    await setFaults(h, { r2: { R2_CH_GVA_2: ["delete"] } });
    try {
      await runCron(h, new Date(Date.now() + 2 * HOUR));
    } finally {
      await setFaults(h, {});
    }
    // The deletion failed twice (SOS_JOB_MAX_ATTEMPTS): the bytes and their queue row are still there.
    expect(await r2Keys(h.mf)).toContain(superseded);
    expect(await queuedDeletions()).toEqual([superseded]);
    const { deadLetters } = await cli("jobs", "dead-letters");
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]).toMatchObject({ kind: "blob-deletions", attempts: 2, message: { kind: "blob-deletions" } });
    expect(deadLetters[0].error).toContain("injected fault: R2_CH_GVA_2.delete");

    const replayed = await cli("jobs", "replay", deadLetters[0].id);
    expect(replayed.replayed.id).toBe(deadLetters[0].id);
    await settleJobs(h);
    expect(await r2Keys(h.mf)).not.toContain(superseded);
    expect(await queuedDeletions()).toEqual([]);
    expect((await cli("jobs", "dead-letters")).deadLetters).toEqual([]);
    // Replayed once only.
    const again = await h.admin("POST", `/_admin/jobs/dead-letters/${deadLetters[0].id}/replay`);
    expect(again).toMatchObject({ status: 404, json: { code: "NoSuchDeadLetter" } });
  });

  it("every message delivered twice changes nothing: same bytes deleted, every blob replicated once, no dead letter", async () => {
    await setFaults(h, { duplicateSends: true });
    try {
      for (let i = 0; i < 4; i++) await s3.send(new PutObjectCommand({ Bucket: "jobs", Key: `dup-${i % 2}`, Body: `v${i}` }));
      await runCron(h, new Date(Date.now() + 2 * HOUR));
    } finally {
      await setFaults(h, {});
    }
    expect(await queuedDeletions()).toEqual([]);
    const db = await h.mf.getD1Database("DB");
    const live = (await db.prepare("SELECT blob_key FROM objects WHERE blob_key IS NOT NULL ORDER BY blob_key").all<{ blob_key: string }>()).results.map(
      (r) => r.blob_key,
    );
    expect((await r2Keys(h.mf)).sort()).toEqual(live);
    expect((await r2Keys(h.mf, "R2_CH_GVA_2_REPLICA")).sort()).toEqual(live);
    const copies = (await db.prepare("SELECT blob_key FROM blob_replicas ORDER BY blob_key").all<{ blob_key: string }>()).results.map((r) => r.blob_key);
    expect(copies).toEqual(live);
    expect((await cli("jobs", "dead-letters")).deadLetters).toEqual([]);
  });
});
