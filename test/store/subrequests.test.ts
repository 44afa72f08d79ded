/**
 * Store tier: `countingDatabase` counts every D1 round trip against the invocation's subrequest
 * budget (a statement's first/all/run/raw, a batch, an exec; preparing and binding are free), and
 * a batch hands D1 the statements it wraps.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { countingDatabase, Subrequests } from "../../src/store/subrequests";
import { startStore, type StoreHarness } from "./store";

let s: StoreHarness;
beforeAll(async () => void (s = await startStore()));
afterAll(() => s.dispose());

it("counts each round trip once, binding and preparing for free; batches and exec count one each and run", async () => {
  const counter = new Subrequests(50);
  const db = countingDatabase(s.db, counter);
  const one = db.prepare("SELECT ?1 AS v").bind(7);
  expect(counter.count).toBe(0);
  expect(await one.first("v")).toBe(7);
  expect(await one.first()).toEqual({ v: 7 });
  expect((await one.all()).results).toEqual([{ v: 7 }]);
  expect(await one.raw()).toEqual([[7]]);
  expect(await one.raw({ columnNames: true })).toEqual([["v"], [7]]);
  expect(counter.count).toBe(5);
  await db.prepare("INSERT INTO blob_deletions (zone, blob_key, enqueued_at) VALUES ('z', 'counted-run', 1)").run();
  expect(counter.count).toBe(6);
  const results = await db.batch([db.prepare("SELECT 1 AS a"), db.prepare("SELECT ?1 AS b").bind(2)]);
  expect(results.map((r) => r.results)).toEqual([[{ a: 1 }], [{ b: 2 }]]);
  expect(counter.count).toBe(7);
  await db.exec("SELECT 1");
  expect(counter.count).toBe(8);
  expect(counter.left()).toBe(42);
  expect(() => db.withSession()).toThrow(/not counted/);
});
