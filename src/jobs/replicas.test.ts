/**
 * replicateTogether: the blobs of several "replicate" messages of one zone take one D1 read and one
 * D1 write, and each message fails only on its own blobs. The store and R2 are stand-ins recording
 * their calls (the end-to-end runs are test/e2e/replicas.test.ts, against workerd's D1, R2 and Queues).
 */
import { describe, expect, it } from "vitest";
import { replicateTogether } from "./replicas";

function deps(opts: { copied: Set<string>; missing?: string[]; throwing?: string[] }) {
  const calls = { toCopy: [] as string[][], record: [] as string[][], copies: [] as string[] };
  const d = {
    env: {},
    meta: {
      replicas: {
        toCopy: async (_zone: string, keys: string[]) => {
          calls.toCopy.push(keys);
          return keys.filter((k) => !opts.copied.has(k));
        },
        record: async (_zone: string, keys: string[]) => void calls.record.push(keys),
      },
    },
    blobs: {
      hasReplica: () => true,
      copyToReplica: async (_zone: string, key: string) => {
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
});
