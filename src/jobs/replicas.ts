/**
 * Zone replicas (docs/replication.md): every committed blob gets a copy, under the same key, in its
 * zone's replica bucket. "replicate" copies the blobs it names that still need it (referenced, not
 * SSE-C, no copy recorded), then records the copies; "reconcile-replicas" (sent by the cron) finds
 * referenced blobs without a copy, so a lost or failed "replicate" message is made up for.
 */
import type { Deps } from "../context";
import type { JobMessage } from "./messages";

type JobDeps = Pick<Deps, "meta" | "blobs" | "env">;

/** Blobs per "replicate" message the reconciling job sends, and keys it reads per page. */
export const RECONCILE_PAGE = 100;

export async function replicate(deps: JobDeps, zone: string, blobKeys: string[], now = Date.now()): Promise<number> {
  if (!deps.blobs.hasReplica(zone)) return 0;
  const todo = await deps.meta.replicas.toCopy(zone, blobKeys);
  const copied: string[] = [];
  const missing: string[] = [];
  for (const key of todo) ((await deps.blobs.copyToReplica(zone, key)) ? copied : missing).push(key);
  await deps.meta.replicas.record(zone, copied, now);
  // Referenced but gone from home (before any copy was made): nothing to copy from; a retry may find it
  // (a home bucket that answers late), the dead letter tells the operator otherwise.
  if (missing.length) throw new Error(`home zone ${zone} has no blob ${missing.join(", ")} to copy to its replica`);
  return copied.length;
}

/** One page of the reconciliation: returns the messages to send (replicate for the page, then the continuation). */
export async function reconcilePage(deps: JobDeps, zone: string, after: string): Promise<JobMessage[]> {
  if (!deps.blobs.hasReplica(zone)) return [];
  const keys = await deps.meta.replicas.unreplicated(zone, after, RECONCILE_PAGE);
  if (keys.length === 0) return [];
  const out: JobMessage[] = [{ kind: "replicate", zone, blobKeys: keys }];
  if (keys.length === RECONCILE_PAGE) out.push({ kind: "reconcile-replicas", zone, after: keys.at(-1)! });
  return out;
}
