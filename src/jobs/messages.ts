/**
 * The job queue's messages: one typed union, one `kind` per job (the consumer's dispatch table,
 * src/jobs/consumer.ts, has one handler per kind). Delivery is at least once and in no particular
 * order, so every job re-reads what it needs from D1/R2 and a message run twice changes nothing.
 * A job that reaches its per-message limit sends its continuation (a message for the rest).
 */
import type { Env } from "../env";
import type { LifecycleMessage } from "./lifecycle";

export type JobMessage =
  /** deletes up to one batch of queued blobs older than the grace period as of `now` */
  | { kind: "blob-deletions"; now: number }
  /** aborts multipart uploads older than SOS_MULTIPART_MAX_AGE_SECONDS */
  | { kind: "stale-uploads"; now: number }
  /** lifecycle rules: the cron's fan-out, or one bucket's walk from `after` (src/jobs/lifecycle.ts) */
  | LifecycleMessage
  /** advance manifest compaction (src/jobs/compaction.ts) as far as one invocation's subrequests allow */
  | { kind: "compaction"; now: number }
  /** one page of a zone's (or its replica's) orphan sweep, after `after` (null: from the start) */
  | { kind: "orphan-sweep"; zone: string; replica: boolean; after: string | null; now: number }
  /** copies these blobs of `zone` to the zone's replica */
  | { kind: "replicate"; zone: string; blobKeys: string[] }
  /** finds referenced blobs of `zone` without a replica copy, after `after`, and sends "replicate" for them */
  | { kind: "reconcile-replicas"; zone: string; after: string }
  /** bucket replication: makes the copy of source version row `objectId` into bucket `destination`, if still owed */
  | { kind: "bucket-replicate"; objectId: string; destination: string }
  /** bucket replication's reconciler: sends "bucket-replicate" for copies pending and due at `now`, after `after` */
  | { kind: "bucket-replication-scan"; now: number; after: { objectId: string; destination: string } | null };

export type JobKind = JobMessage["kind"];

/** Cloudflare Queues takes at most 100 messages per sendBatch. */
const SEND_BATCH_MAX = 100;

/** Sends job messages; throws when the Worker has no JOBS binding (wrangler.toml [[queues.producers]]). */
export async function sendJobs(env: Pick<Env, "JOBS">, messages: JobMessage[]): Promise<void> {
  if (messages.length === 0) return;
  if (!env.JOBS) throw new Error("no JOBS queue binding: add the [[queues.producers]] entry of wrangler.toml");
  for (let i = 0; i < messages.length; i += SEND_BATCH_MAX) {
    await env.JOBS.sendBatch(messages.slice(i, i + SEND_BATCH_MAX).map((body) => ({ body, contentType: "json" as const })));
  }
}
