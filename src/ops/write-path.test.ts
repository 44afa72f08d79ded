import { describe, expect, it } from "vitest";
import type { Deps } from "../context";
import { commitWrite } from "./write-path";

/** Deps whose D1 says which blobs rows refer to, and whose R2 records deletions. */
function deps(referenced: string[], graceMs: number) {
  const deleted: string[] = [];
  const deferred: Promise<unknown>[] = [];
  const d = {
    config: { blobDeletionGraceMs: graceMs },
    env: {},
    meta: {
      blobGc: { referenced: async (keys: string[]) => new Set(keys.filter((k) => referenced.includes(k))), forget: async () => {} },
      replicas: { forget: async () => {} },
    },
    blobs: { delete: async (_zone: string, keys: string[]) => void deleted.push(...keys), deleteReplicas: async () => {}, hasReplica: () => false },
    defer: (p: Promise<unknown>) => void deferred.push(p),
  } as unknown as Deps;
  return { d, deleted, settle: () => Promise.all(deferred) };
}

describe("commitWrite", () => {
  it("on a failed commit deletes the new blob only if no row refers to it (a batch reported failed may have committed)", async () => {
    const committedAnyway = deps(["new"], 0);
    await expect(commitWrite(committedAnyway.d, "z", ["new"], () => Promise.reject(new Error("network")))).rejects.toThrow("network");
    await committedAnyway.settle();
    expect(committedAnyway.deleted).toEqual([]);

    const reallyFailed = deps([], 0);
    await expect(commitWrite(reallyFailed.d, "z", ["new"], () => Promise.reject(new Error("network")))).rejects.toThrow("network");
    await reallyFailed.settle();
    expect(reallyFailed.deleted).toEqual(["new"]);
  });

  it("leaves superseded blobs to the cron sweep during a grace period, deletes them after the response without one", async () => {
    const graced = deps([], 3600_000);
    await commitWrite(graced.d, "z", ["new"], async () => ["old"]);
    await graced.settle();
    expect(graced.deleted).toEqual([]);

    const immediate = deps([], 0);
    await commitWrite(immediate.d, "z", ["new"], async () => ["old"]);
    await immediate.settle();
    expect(immediate.deleted).toEqual(["old"]);
  });
});
