/**
 * Issues #2 and #4, listing: latency of one 1000-entry page, starting at random places in a bucket of
 * `listKeys` objects (10 keys per common prefix), with and without delimiter "/". Issue #2 compares
 * ListObjectsV2 with the R2 binding's list(); issue #4 compares ListObjectVersions and ListObjectsV2
 * on a bucket holding `versionsPerKey` versions of every key with the same listing of an unversioned
 * bucket. Every page's entry count is checked, so a listing that returns too little fails the run.
 */
import type { BenchConfig } from "./config";
import { createSosBucket, datasetKey, enableVersioning, fillBaseline, fillBaselineD1, fillSosBucket, KEYS_PER_PREFIX } from "./datasets";
import { expectStatus, send, signed, type Reply } from "./http";
import { median, percentile, timed } from "./measure";
import { fixed, ratio, type Table } from "./report";
import type { BenchWorker } from "./workers";

const PAGE = 1000;
const PLAIN = "list-plain";
const VERSIONED = "list-versioned";

/** One page request starting after key index `start` (0 = from the beginning); resolves to its entry count. */
type Page = (start: number) => Promise<number>;
type Latency = { median: number; p90: number } | { na: string };

class NotImplemented extends Error {}

const count = (xml: string, tag: string) => xml.split(`<${tag}>`).length - 1;

function sosListV2(sos: BenchWorker, bucket: string, delimiter: boolean): Page {
  return async (start) => {
    const q = new URLSearchParams({ "list-type": "2", "max-keys": String(PAGE) });
    if (delimiter) q.set("delimiter", "/");
    if (start > 0) q.set("start-after", datasetKey(start - 1));
    const u = `${sos.url}/${bucket}?${q}`;
    const xml = expectStatus(`ListObjectsV2 ${bucket}`, await send("GET", u, { headers: await signed("GET", u) })).body.toString("utf8");
    return count(xml, "Contents") + count(xml, "CommonPrefixes");
  };
}

function sosListVersions(sos: BenchWorker, bucket: string, delimiter: boolean): Page {
  return async (start) => {
    const q = new URLSearchParams({ versions: "", "max-keys": String(PAGE) });
    if (delimiter) q.set("delimiter", "/");
    if (start > 0) q.set("key-marker", datasetKey(start - 1));
    const u = `${sos.url}/${bucket}?${q}`;
    const r: Reply = await send("GET", u, { headers: await signed("GET", u) });
    if (r.status === 501) throw new NotImplemented();
    const xml = expectStatus(`ListObjectVersions ${bucket}`, r).body.toString("utf8");
    return count(xml, "Version") + count(xml, "DeleteMarker") + count(xml, "CommonPrefixes");
  };
}

function r2List(base: BenchWorker, delimiter: boolean): Page {
  return async (start) => {
    const q = new URLSearchParams({ list: "", limit: String(PAGE) });
    if (delimiter) q.set("delimiter", "/");
    if (start > 0) q.set("start-after", datasetKey(start - 1));
    const r = expectStatus("R2 list", await send("GET", `${base.url}/?${q}`));
    const page = JSON.parse(r.body.toString("utf8")) as { keys: string[]; prefixes: string[] };
    return page.keys.length + page.prefixes.length;
  };
}

/** The metadata floor of a listing: one plain D1 page read of (key, size, etag, last_modified) rows in key order. */
function d1Page(base: BenchWorker): Page {
  return async (start) => {
    const q = new URLSearchParams({ d1list: "", limit: String(PAGE) });
    if (start > 0) q.set("start-after", datasetKey(start - 1));
    const r = expectStatus("D1 page", await send("GET", `${base.url}/?${q}`));
    return (JSON.parse(r.body.toString("utf8")) as { keys: string[] }).keys.length;
  };
}

/** Deterministic pseudo-random page starts (mulberry32), the same for both sides of a comparison. */
function starts(n: number, maxStart: number, step: number): number[] {
  let a = 0x5eed;
  const rand = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return Array.from({ length: n }, () => Math.floor(rand() * (Math.floor(maxStart / step) + 1)) * step);
}

type Shape = { delimiter: boolean; entriesPerKey: number };

const WARMUP = 3;

/** A listing to time: its page function and the shape of the data it walks. */
type Variant = { what: string; page: Page; shape: Shape; na?: string };

/**
 * Times `a` and `b` as a pair, alternating which goes first on every round, so that machine load
 * and warm-up (the first WARMUP rounds are not counted) fall on both sides alike.
 */
async function compare(cfg: BenchConfig, a: Variant, b: Variant, log: (s: string) => void): Promise<[Latency, Latency]> {
  const keys = cfg.listKeys;
  const plan = (shape: Shape) => {
    // A page holds PAGE entries: PAGE keys, PAGE common prefixes, or the versions of PAGE / entriesPerKey keys.
    const keysPerPage = shape.delimiter ? PAGE * KEYS_PER_PREFIX : Math.ceil(PAGE / shape.entriesPerKey);
    const step = shape.delimiter ? KEYS_PER_PREFIX : 1;
    return starts(cfg.listRuns + WARMUP, Math.max(0, keys - keysPerPage), step);
  };
  const expected = (shape: Shape, start: number) =>
    shape.delimiter ? Math.min(PAGE, (keys - start) / KEYS_PER_PREFIX) : Math.min(PAGE, (keys - start) * shape.entriesPerKey);
  const sides = [a, b].map((v) => ({ v, starts: plan(v.shape), samples: [] as number[], na: v.na }));
  for (let round = 0; round < cfg.listRuns + WARMUP; round++) {
    for (const side of round % 2 ? [...sides].reverse() : sides) {
      if (side.na) continue;
      const start = side.starts[round];
      let got = 0;
      try {
        const ms = await timed(async () => (got = await side.v.page(start)));
        if (round >= WARMUP) side.samples.push(ms);
      } catch (e) {
        if (!(e instanceof NotImplemented)) throw e;
        side.na = "not implemented";
        continue;
      }
      const want = expected(side.v.shape, start);
      if (got !== want) throw new Error(`${side.v.what}: page after key #${start} has ${got} entries, expected ${want}`);
    }
  }
  const result = sides.map((s): Latency => (s.na ? { na: s.na } : { median: median(s.samples), p90: percentile(s.samples, 90) }));
  log(`  ${a.what}: ${cell(result[0])} ms | ${b.what}: ${cell(result[1])} ms`);
  return [result[0], result[1]];
}

const cell = (l: Latency) => ("na" in l ? `n/a (${l.na})` : `${fixed(l.median)} (p90 ${fixed(l.p90)})`);
const ratioCell = (a: Latency, b: Latency) => ("na" in a || "na" in b ? "n/a" : ratio(a.median, b.median));

export async function listingSuite(cfg: BenchConfig, sos: BenchWorker, base: BenchWorker, log: (s: string) => void): Promise<Table[]> {
  const v = cfg.versionsPerKey;
  const t0 = performance.now();
  await createSosBucket(sos, PLAIN);
  await createSosBucket(sos, VERSIONED);
  const versioning = await enableVersioning(sos, VERSIONED);
  await fillSosBucket(sos, PLAIN, cfg.listKeys, 1);
  if (versioning) await fillSosBucket(sos, VERSIONED, cfg.listKeys, v);
  const r2State = await fillBaseline(base, cfg.listKeys);
  await fillBaselineD1(base, cfg.listKeys);
  log(`  data sets ready: ${cfg.listKeys} keys (sos unversioned, sos ×${v} versions, R2 ${r2State}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const flat: Shape = { delimiter: false, entriesPerKey: 1 };
  const delim: Shape = { delimiter: true, entriesPerKey: 1 };
  const na = versioning ? undefined : "versioning not implemented";
  const pair = (x: Variant, y: Variant) => compare(cfg, x, y, log);

  const [v2, r2] = await pair(
    { what: "sos ListObjectsV2", page: sosListV2(sos, PLAIN, false), shape: flat },
    { what: "R2 list", page: r2List(base, false), shape: flat },
  );
  const [v2b, d1] = await pair(
    { what: "sos ListObjectsV2", page: sosListV2(sos, PLAIN, false), shape: flat },
    { what: "D1 page read", page: d1Page(base), shape: flat },
  );
  const [v2d, r2d] = await pair(
    { what: "sos ListObjectsV2 delimiter", page: sosListV2(sos, PLAIN, true), shape: delim },
    { what: "R2 list delimiter", page: r2List(base, true), shape: delim },
  );
  const [verV, plainV] = await pair(
    { what: "sos ListObjectVersions versioned", page: sosListVersions(sos, VERSIONED, false), shape: { delimiter: false, entriesPerKey: v }, na },
    { what: "unversioned", page: sosListVersions(sos, PLAIN, false), shape: flat },
  );
  const [verVd, plainVd] = await pair(
    { what: "sos ListObjectVersions versioned delimiter", page: sosListVersions(sos, VERSIONED, true), shape: delim, na },
    { what: "unversioned", page: sosListVersions(sos, PLAIN, true), shape: delim },
  );
  const [verV2, plainV2] = await pair(
    { what: "sos ListObjectsV2 versioned", page: sosListV2(sos, VERSIONED, false), shape: flat, na },
    { what: "unversioned", page: sosListV2(sos, PLAIN, false), shape: flat },
  );
  const [verV2d, plainV2d] = await pair(
    { what: "sos ListObjectsV2 versioned delimiter", page: sosListV2(sos, VERSIONED, true), shape: delim, na },
    { what: "unversioned", page: sosListV2(sos, PLAIN, true), shape: delim },
  );

  const n = cfg.listKeys.toLocaleString("en-US");
  const latencyNote =
    `Latency of one page in ms: median of ${cfg.listRuns} pages starting at random keys (p90 in brackets), ` +
    "the two sides timed in alternation. ratio = sos-worker / baseline (lower is better).";
  return [
    {
      title: `Listing: one 1000-entry page in a ${n}-object bucket`,
      note: latencyNote,
      header: ["metric", "sos-worker", "baseline", "baseline", "ratio"],
      rows: [
        ["ListObjectsV2, no delimiter (1000 keys)", cell(v2), "raw R2 list()", cell(r2), ratioCell(v2, r2)],
        ["ListObjectsV2, no delimiter (1000 keys)", cell(v2b), "one plain D1 page read (target ≤ 1.5×)", cell(d1), ratioCell(v2b, d1)],
        ['ListObjectsV2, delimiter "/" (1000 common prefixes)', cell(v2d), 'raw R2 list(), delimiter "/" (target ≤ 1.2×)', cell(r2d), ratioCell(v2d, r2d)],
      ],
    },
    {
      title: `Versioned listing: ${n} keys × ${v} versions against the same listing of ${n} unversioned keys`,
      note: `${latencyNote} Both sides are sos-worker; the baseline is the unversioned bucket.`,
      header: ["metric", `versioned (${(cfg.listKeys * v).toLocaleString("en-US")} versions)`, "unversioned", "ratio"],
      rows: [
        ["ListObjectVersions, no delimiter (1000 versions)", cell(verV), cell(plainV), ratioCell(verV, plainV)],
        ['ListObjectVersions, delimiter "/" (1000 common prefixes)', cell(verVd), cell(plainVd), ratioCell(verVd, plainVd)],
        ["ListObjectsV2, no delimiter (1000 keys)", cell(verV2), cell(plainV2), ratioCell(verV2, plainV2)],
        ['ListObjectsV2, delimiter "/" (1000 common prefixes)', cell(verV2d), cell(plainV2d), ratioCell(verV2d, plainV2d)],
      ],
    },
  ];
}
