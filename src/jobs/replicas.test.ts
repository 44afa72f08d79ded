/**
 * replicateTogether: the blobs of several "replicate" messages of one zone take one D1 read and one
 * D1 write, and each message fails only on its own blobs. The store and R2 are stand-ins recording
 * their calls (the end-to-end runs are test/e2e/replicas.test.ts, against workerd's D1, R2 and Queues).
 */
import { describe, expect, it } from "vitest";
import { Subrequests } from "../store/subrequests";
import { reconcilePage, REPLICATE_KEYS_TOGETHER, replicateTogether } from "./replicas";

function deps(opts: { copied: Set<string>; missing?: string[]; throwing?: string[]; budget?: number; unreplicated?: string[] }) {
  const calls = { toCopy: [] as string[][], record: [] as string[][], copies: [] as string[] };
  const subrequests = new Subrequests(opts.budget ?? 1000);
  const d = {
    env: {},
    subrequests,
    meta: {
      replicas: {
        toCopy: async (_zone: string, keys: string[]) => {
          subrequests.count++;
          calls.toCopy.push(keys);
          return keys.filter((k) => !opts.copied.has(k));
        },
        record: async (_zone: string, keys: string[]) => {
          // the platform throws past the limit: a stand-in that did not would hide a budget overrun
          if (++subrequests.count > subrequests.budget) throw new Error("Too many subrequests");
          calls.record.push(keys);
        },
        unreplicated: async (_zone: string, after: string, limit: number) => (opts.unreplicated ?? []).filter((k) => k > after).slice(0, limit),
      },
    },
    blobs: {
      hasReplica: () => true,
      copyToReplica: async (_zone: string, key: string) => {
        subrequests.count += 2;
        if (subrequests.count > subrequests.budget) throw new Error("Too many subrequests");
        calls.copies.push(key);
        if (opts.throwing?.includes(key)) throw new Error("R2 said no");
        return !opts.missing?.includes(key);
      },
    },
  };
  return { d: d as unknown as Parameters<typeof replicateTogether>[0], calls };
}

describe("replicateTogether", () => {
  it("reads once, copies each blob once, records once, and fails only the messages whose blobs failed", async () => {
    const { d, calls } = deps({ copied: new Set(["done"]), missing: ["gone"], throwing: ["broken"] });
    const { copied, failures } = await replicateTogether(d, "z", [["a", "done"], ["b", "gone"], ["a"], ["broken", "c"]]);
    expect(calls.toCopy).toEqual([["a", "done", "b", "gone", "broken", "c"]]);
    expect(calls.copies).toEqual(["a", "b", "gone", "broken", "c"]);
    expect(calls.record).toEqual([["a", "b", "c"]]);
    expect(copied).toBe(3);
    expect(failures.map((f) => f?.message ?? null)).toEqual([
      null,
      "home zone z has no blob gone to copy to its replica",
      null,
      expect.stringMatching(/copy of broken to the replica of z failed: Error: R2 said no/),
    ]);
  });

  it("stops copying where the invocation's budget would not leave the write recording the copies; the retry goes on from there", async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `k${String(i).padStart(2, "0")}`);
    const copied = new Set<string>();
    // Workers Free: 50 subrequests. 1 read + 24 copies (48) leaves 1 for the record.
    const first = deps({ copied, budget: 50 });
    const r1 = await replicateTogether(first.d, "z", [keys]);
    expect(r1.copied).toBe(24);
    expect(first.calls.record).toEqual([keys.slice(0, 24)]);
    expect(r1.failures[0]?.message).toMatch(/postponed: this invocation's subrequest budget \(50\) is used up/);
    for (const k of first.calls.record[0]) copied.add(k);
    const second = deps({ copied, budget: 50 });
    const r2 = await replicateTogether(second.d, "z", [keys]);
    expect(second.calls.copies).toEqual(keys.slice(24));
    expect(r2.failures).toEqual([null]);
  });
});

describe("reconcilePage", () => {
  it("sends the page's blobs in messages one Free-plan invocation can copy, then its continuation", async () => {
    const unreplicated = Array.from({ length: 150 }, (_, i) => `b${String(i).padStart(3, "0")}`);
    const { d } = deps({ copied: new Set(), unreplicated });
    const out = await reconcilePage(d, "z", "");
    const replicate = out.filter((m) => m.kind === "replicate");
    expect(replicate.map((m) => m.blobKeys.length)).toEqual([20, 20, 20, 20, 20]);
    expect(replicate.flatMap((m) => m.blobKeys)).toEqual(unreplicated.slice(0, 100));
    expect(out.at(-1)).toEqual({ kind: "reconcile-replicas", zone: "z", after: "b099" });
    expect(REPLICATE_KEYS_TOGETHER * 2 + 2).toBeLessThanOrEqual(50);
  });
});
