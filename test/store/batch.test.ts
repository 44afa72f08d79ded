/** Commit-time assertions: every code the store may assert has a trigger in the migrations. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ASSERTION_CODES, assertion, commit } from "../../src/store/d1/batch";
import { codeOf, rows, startStore, type StoreHarness } from "./store";

let s: StoreHarness;
beforeAll(async () => void (s = await startStore()));
afterAll(() => s.dispose());

describe("batch assertions", () => {
  it.each(ASSERTION_CODES)("%s aborts the batch with that code and writes nothing", async (code) => {
    const marker = `marker-${code}`;
    const write = s.db.prepare("INSERT INTO blob_deletions (zone, blob_key, enqueued_at) VALUES ('z', ?, 1)").bind(marker);
    expect(await codeOf(commit(s.db, [write, assertion(s.db, code, "1 = 1")]))).toBe(code);
    expect(await rows(s.db, "SELECT * FROM blob_deletions WHERE blob_key = ?", marker)).toEqual([]);
  });

  it("an assertion whose condition is false lets the batch commit", async () => {
    const write = s.db.prepare("INSERT INTO blob_deletions (zone, blob_key, enqueued_at) VALUES ('z', 'kept', 1)");
    await commit(s.db, [assertion(s.db, "NoSuchKey", "1 = 0"), write]);
    expect(await rows(s.db, "SELECT blob_key FROM blob_deletions WHERE blob_key = 'kept'")).toEqual([{ blob_key: "kept" }]);
  });

  it("a code without a trigger would commit silently, which is why assertion() does not accept one", async () => {
    // @ts-expect-error InvalidArgument has no batch_assertions trigger
    const untriggered = assertion(s.db, "InvalidArgument", "1 = 1");
    await commit(s.db, [untriggered]);
    expect(await rows(s.db, "SELECT failure FROM batch_assertions WHERE failure = 'InvalidArgument'")).toHaveLength(1);
  });
});
