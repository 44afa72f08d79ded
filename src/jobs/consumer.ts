/**
 * The job queue's consumer: one handler per message kind (HANDLERS). A handler re-reads what it
 * needs, so a message delivered twice or out of order changes nothing, and returns the messages to
 * send next (its continuation when it stopped at its limit, or follow-up jobs). A failed message is
 * retried with a doubling delay (SOS_JOB_RETRY_DELAY_SECONDS, 2x, 4x, ...); after
 * SOS_JOB_MAX_ATTEMPTS deliveries it becomes a dead letter in D1 (job_dead_letters), which an
 * operator lists and replays with `sos-admin jobs dead-letters` / `sos-admin jobs replay ID`.
 *
 * Adding a job kind: add its message to JobMessage (messages.ts), its handler here, and, if the cron
 * starts it, a message in scheduledJobs (cron.ts). TypeScript refuses a kind without a handler.
 */
import type { Deps } from "../context";
import { randomHex } from "../logic/secrets";
import { COMPLETED_UPLOAD_MEMORY_MS } from "../store/d1/uploads";
import { drainBlobDeletions } from "./blob-deletions";
import { compactWithinBudget } from "./compaction";
import { sweepOrphanPage, sweepPositionKey } from "./cron";
import { lifecycleStep } from "./lifecycle";
import { type JobKind, type JobMessage, sendJobs } from "./messages";
import { reconcilePage, REPLICATE_KEYS_TOGETHER, replicate, replicateTogether } from "./replicas";
import { replicateOwedCopy, replicationScanPage } from "./replication";
import { abortStaleUploads } from "./stale-uploads";

type Handler<K extends JobKind> = (deps: Deps, message: Extract<JobMessage, { kind: K }>) => Promise<JobMessage[]>;

/** Queued deletions and stale uploads handled per message; a full batch sends its continuation. */
const DELETIONS_PER_MESSAGE = 500;
const UPLOADS_PER_MESSAGE = 100;

/** Jobs that delete: a paused sweep (SOS_SWEEP_PAUSED, during a restore) drops them; the cron sends them again later. */
const DELETING: ReadonlySet<JobKind> = new Set(["blob-deletions", "stale-uploads", "lifecycle", "orphan-sweep", "compaction"]);

const HANDLERS: { [K in JobKind]: Handler<K> } = {
  "blob-deletions": async (deps, m) => ((await drainBlobDeletions(deps, m.now, DELETIONS_PER_MESSAGE)) === DELETIONS_PER_MESSAGE ? [m] : []),
  "stale-uploads": async (deps, m) => {
    // Completed uploads are remembered for a while so that a retried CompleteMultipartUpload gets its answer again.
    await deps.meta.uploads.forgetCompletedBefore(m.now - COMPLETED_UPLOAD_MEMORY_MS);
    return (await abortStaleUploads(deps, deps.config.multipartMaxAgeMs, m.now)) >= UPLOADS_PER_MESSAGE ? [m] : [];
  },
  // No continuation: each cron run advances compaction by one invocation's budget (a lease keeps runs apart).
  compaction: async (deps, m) => {
    await compactWithinBudget(deps, m.now);
    return [];
  },
  lifecycle: (deps, m) => lifecycleStep(deps, m),
  "orphan-sweep": async (deps, m) => {
    // A duplicate or stale message (the chain already moved on) would only repeat a page: skip it.
    if ((await deps.meta.blobGc.sweepPosition(sweepPositionKey(m.zone, m.replica))) !== m.after) return [];
    const { next } = await sweepOrphanPage(deps, m.zone, m.replica, m.after, m.now);
    return next === null ? [] : [{ ...m, after: next }];
  },
  replicate: async (deps, m) => {
    await replicate(deps, m.zone, m.blobKeys);
    return [];
  },
  "reconcile-replicas": (deps, m) => reconcilePage(deps, m.zone, m.after),
  "bucket-replicate": async (deps, m) => {
    await replicateOwedCopy(deps, m.objectId, m.destination);
    return [];
  },
  "bucket-replication-scan": (deps, m) => replicationScanPage(deps, m.now, m.after),
};

/** Runs one message's job; returns the messages it asks to send. Unknown kinds throw (and end as dead letters). */
export async function runJob(deps: Deps, message: JobMessage): Promise<JobMessage[]> {
  const handler = HANDLERS[message?.kind] as Handler<JobKind> | undefined;
  if (!handler) throw new Error(`unknown job kind ${JSON.stringify(message?.kind)}`);
  if (deps.config.sweepPaused && DELETING.has(message.kind)) return [];
  return handler(deps, message as never);
}

/**
 * The Worker's queue() handler: each message on its own, so one failure retries only that message.
 * `depsFor` gives each message deps with a subrequest budget of its own, so that a job planning
 * against the budget (compaction, lifecycle) does not depend on what shared its batch. Cloudflare
 * counts a whole batch as one invocation: with a small plan limit (Workers Free, 50), set the
 * consumer's max_batch_size to 1 (docs/deployment.md). The exception: "replicate" messages of one
 * zone (one per write) are handled together, up to REPLICATE_KEYS_TOGETHER blobs, with one D1 read
 * and one D1 write for all of them; each message still succeeds or fails on its own blobs.
 */
export async function consumeJobs(batch: MessageBatch<unknown>, depsFor: () => Deps): Promise<void> {
  const together = new Map<string, { msgs: Message<unknown>[]; keys: number }[]>();
  for (const msg of batch.messages) {
    const message = msg.body as JobMessage;
    if (message?.kind === "replicate" && Array.isArray(message.blobKeys)) {
      const groups = together.get(message.zone) ?? [];
      const last = groups.at(-1);
      if (last && last.keys + message.blobKeys.length <= REPLICATE_KEYS_TOGETHER) {
        last.msgs.push(msg);
        last.keys += message.blobKeys.length;
      } else groups.push({ msgs: [msg], keys: message.blobKeys.length });
      together.set(message.zone, groups);
      continue;
    }
    const deps = depsFor();
    await settle(deps, msg, async () => sendJobs(deps.env, await runJob(deps, message)));
  }
  for (const [zone, groups] of together) {
    for (const { msgs } of groups) {
      const deps = depsFor();
      const bodies = msgs.map((m) => (m.body as Extract<JobMessage, { kind: "replicate" }>).blobKeys);
      const outcome = replicateTogether(deps, zone, bodies);
      for (const [i, msg] of msgs.entries()) {
        await settle(deps, msg, async () => {
          const failure = (await outcome).failures[i];
          if (failure) throw failure;
        });
      }
    }
  }
}

/** Runs a message's job (which sends what it asks to send), then acks it, or retries it, or keeps it as a dead letter. */
async function settle(deps: Deps, msg: Message<unknown>, job: () => Promise<void>): Promise<void> {
  const message = msg.body as JobMessage;
  try {
    await job();
    msg.ack();
  } catch (e) {
    const error = String((e as Error)?.stack ?? e).slice(0, 2000);
    if (msg.attempts >= deps.config.jobMaxAttempts && (await deadLetter(deps, msg, message, error))) msg.ack();
    else msg.retry({ delaySeconds: deps.config.jobRetryDelaySeconds * 2 ** Math.min(msg.attempts - 1, 10) });
  }
}

/** Keeps a message that failed its last attempt; false when even that fails (D1 down: the message is retried). */
async function deadLetter(deps: Deps, msg: Message<unknown>, message: JobMessage, error: string): Promise<boolean> {
  const id = msg.id || randomHex(16);
  try {
    await deps.meta.jobs.addDeadLetter({
      id,
      kind: String(message?.kind ?? "unknown"),
      body: JSON.stringify(message),
      attempts: msg.attempts,
      error,
      failedAt: Date.now(),
    });
  } catch {
    return false;
  }
  console.error(`job ${message?.kind} failed ${msg.attempts} times, kept as dead letter ${id}: ${error}`);
  return true;
}
