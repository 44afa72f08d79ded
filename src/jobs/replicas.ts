/**
 * Zone replicas (docs/replication.md): every committed blob gets a copy, under the same key, in its
 * zone's replica bucket. "replicate" copies the blobs it names that still need it (referenced, not
 * SSE-C, no copy recorded), then records the copies; "reconcile-replicas" (sent by the cron) finds
 * referenced blobs without a copy, so a lost or failed "replicate" message is made up for.
 */
import type { Deps } from "../context";
import type { JobMessage } from "./messages";

type JobDeps = Pick<Deps, "meta" | "blobs" | "env" | "subrequests">;

/** Keys the reconciling job reads per page. */
export const RECONCILE_PAGE = 100;

/**
 * Blobs one invocation copies: each copy is two R2 calls (get, put), plus one D1 read and one D1
 * write for all of them, so 20 fit the Workers Free plan's 50 subrequests. The consumer handles
 * "replicate" messages together up to this many blobs, and the reconciling job sends messages of
 * at most this many.
 */
export const REPLICATE_KEYS_TOGETHER = 20;

/** R2 calls one blob copy makes (get from home, put to the replica). */
const CALLS_PER_COPY = 2;

export async function replicate(deps: JobDeps, zone: string, blobKeys: string[], now = Date.now()): Promise<number> {
  const { copied, failures } = await replicateTogether(deps, zone, [blobKeys], now);
  if (failures[0]) throw failures[0];
  return copied;
}

/**
 * The blobs of several "replicate" messages of one zone at once (a queue batch's): one D1 read of what
 * still needs a copy and one D1 write recording the copies, whatever the number of messages. Returns,
 * per list, the error that should fail its message (null when all its blobs have their copy).
 */
export async function replicateTogether(
  deps: JobDeps,
  zone: string,
  keyLists: string[][],
  now = Date.now(),
): Promise<{ copied: number; failures: (Error | null)[] }> {
  if (!deps.blobs.hasReplica(zone)) return { copied: 0, failures: keyLists.map(() => null) };
  const todo = await deps.meta.replicas.toCopy(zone, [...new Set(keyLists.flat())]);
  const copied: string[] = [];
  const failed = new Map<string, string>();
  for (const key of todo) {
    // The copies made must still be recorded (one D1 write): the blobs past the budget wait for the retry.
    if (deps.subrequests.left() < CALLS_PER_COPY + 1) {
      failed.set(key, `copy of ${key} to the replica of ${zone} postponed: this invocation's subrequest budget (${deps.subrequests.budget}) is used up`);
      continue;
    }
    try {
      if (await deps.blobs.copyToReplica(zone, key)) copied.push(key);
      // Referenced but gone from home (before any copy was made): nothing to copy from; a retry may find it
      // (a home bucket that answers late), the dead letter tells the operator otherwise.
      else failed.set(key, `home zone ${zone} has no blob ${key} to copy to its replica`);
    } catch (e) {
      failed.set(key, `copy of ${key} to the replica of ${zone} failed: ${e}`);
    }
  }
  await deps.meta.replicas.record(zone, copied, now);
  const failures = keyLists.map((keys) => {
    const reasons = keys.filter((k) => failed.has(k)).map((k) => failed.get(k));
    return reasons.length ? new Error(reasons.join("; ")) : null;
  });
  return { copied: copied.length, failures };
}

/** One page of the reconciliation: returns the messages to send ("replicate" for the page's blobs, in invocation-sized messages, then the continuation). */
export async function reconcilePage(deps: JobDeps, zone: string, after: string): Promise<JobMessage[]> {
  if (!deps.blobs.hasReplica(zone)) return [];
  const keys = await deps.meta.replicas.unreplicated(zone, after, RECONCILE_PAGE);
  if (keys.length === 0) return [];
  const out: JobMessage[] = [];
  for (let i = 0; i < keys.length; i += REPLICATE_KEYS_TOGETHER) out.push({ kind: "replicate", zone, blobKeys: keys.slice(i, i + REPLICATE_KEYS_TOGETHER) });
  if (keys.length === RECONCILE_PAGE) out.push({ kind: "reconcile-replicas", zone, after: keys.at(-1)! });
  return out;
}
