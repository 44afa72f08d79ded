import { describe, expect, test } from "vitest";
import { compareUtf8 } from "./pagination";
import { listVersionsPage, type VersionReader, type VersionRow } from "./version-listing";

/** An in-memory objects table in index order (key ascending, seq descending), counting rows read. */
class FakeStore implements VersionReader<VersionRow> {
  rowsRead = 0;
  reads = 0;
  constructor(readonly rows: VersionRow[]) {
    rows.sort((a, b) => compareUtf8(a.key, b.key) || b.seq - a.seq);
  }
  async listVersions(
    _bucketId: string,
    r: { key: string; seqBelow: number; limit: number } | { after?: string; from?: string; before?: string | null; limit: number },
  ): Promise<VersionRow[]> {
    const hits = this.rows.filter((row) =>
      "key" in r
        ? row.key === r.key && row.seq < r.seqBelow
        : (r.after === undefined || compareUtf8(row.key, r.after) > 0) &&
          (r.from === undefined || compareUtf8(row.key, r.from) >= 0) &&
          (!r.before || compareUtf8(row.key, r.before) < 0),
    );
    const page = hits.slice(0, r.limit);
    this.rowsRead += page.length;
    this.reads++;
    return page;
  }
}

/** versions(key, n): n versions of key, seq 1..n, ids `${key}#${seq}`. */
function versions(key: string, n: number): VersionRow[] {
  return Array.from({ length: n }, (_, i) => ({ key, seq: i + 1, versionId: `${key}#${i + 1}` }));
}

type Entry = string; // "key#seq" for versions, "key/" style strings for prefixes (prefixed with "P:")

async function pageAll(store: FakeStore, opts: { prefix?: string; delimiter?: string; maxKeys: number }) {
  const out: Entry[] = [];
  let keyMarker: string | undefined;
  let versionMarkerSeq: number | undefined;
  let pages = 0;
  for (;;) {
    const page = await listVersionsPage(store, "b", {
      prefix: opts.prefix ?? "",
      delimiter: opts.delimiter,
      maxKeys: opts.maxKeys,
      keyMarker,
      versionMarkerSeq,
    });
    expect(page.entries.length + page.commonPrefixes.length).toBeLessThanOrEqual(opts.maxKeys);
    // Entries and prefixes interleave in key order; rebuild that order for comparison.
    const merged = [...page.entries.map((e) => ({ k: e.key, s: `${e.versionId}` })), ...page.commonPrefixes.map((p) => ({ k: p, s: `P:${p}` }))];
    merged.sort((a, b) => compareUtf8(a.k, b.k));
    out.push(...merged.map((m) => m.s));
    pages++;
    if (!page.isTruncated) break;
    keyMarker = page.next!.keyMarker;
    const marker = page.next!.versionIdMarker;
    versionMarkerSeq = marker === undefined ? undefined : store.rows.find((r) => r.key === keyMarker && r.versionId === marker)!.seq;
    if (pages > 1000) throw new Error("runaway paging");
  }
  return { out, pages };
}

const ROWS = [
  ...versions("a", 3),
  ...versions("b/1", 2),
  ...versions("b/2", 1),
  ...versions("b/c/3", 2),
  ...versions("c", 1),
  ...versions("d/x", 4),
  ...versions("e", 2),
];

describe("listVersionsPage", () => {
  test("lists every version once, newest first within a key, for every page size", async () => {
    const all = [...ROWS].sort((a, b) => compareUtf8(a.key, b.key) || b.seq - a.seq).map((r) => r.versionId);
    for (const maxKeys of [1, 2, 3, 4, 7, 1000]) {
      const { out, pages } = await pageAll(new FakeStore([...ROWS]), { maxKeys });
      expect(out).toEqual(all);
      expect(pages).toBe(Math.ceil(all.length / maxKeys));
    }
  });

  test("rolls keys up into common prefixes across pages without repeats", async () => {
    for (const maxKeys of [1, 2, 3, 1000]) {
      const { out } = await pageAll(new FakeStore([...ROWS]), { delimiter: "/", maxKeys });
      expect(out).toEqual(["a#3", "a#2", "a#1", "P:b/", "c#1", "P:d/", "e#2", "e#1"]);
    }
  });

  test("prefix and delimiter together", async () => {
    for (const maxKeys of [1, 2, 1000]) {
      const { out } = await pageAll(new FakeStore([...ROWS]), { prefix: "b/", delimiter: "/", maxKeys });
      expect(out).toEqual(["b/1#2", "b/1#1", "b/2#1", "P:b/c/"]);
      expect((await pageAll(new FakeStore([...ROWS]), { prefix: "b/", maxKeys })).out).toEqual(["b/1#2", "b/1#1", "b/2#1", "b/c/3#2", "b/c/3#1"]);
    }
  });

  test("key-marker alone starts after all of that key's versions; with a version marker, after that version", async () => {
    const store = new FakeStore([...ROWS]);
    const after = await listVersionsPage(store, "b", { prefix: "", keyMarker: "a", maxKeys: 2 });
    expect(after.entries.map((e) => e.versionId)).toEqual(["b/1#2", "b/1#1"]);
    expect(after.next).toEqual({ keyMarker: "b/1", versionIdMarker: "b/1#1" });
    const within = await listVersionsPage(store, "b", { prefix: "", keyMarker: "a", versionMarkerSeq: 3, maxKeys: 3 });
    expect(within.entries.map((e) => e.versionId)).toEqual(["a#2", "a#1", "b/1#2"]);
    expect(within.isTruncated).toBe(true);
  });

  test("a marker inside a common prefix resumes after the prefix", async () => {
    const store = new FakeStore([...ROWS]);
    const page = await listVersionsPage(store, "b", { prefix: "", delimiter: "/", keyMarker: "b/", maxKeys: 1000 });
    expect(page.commonPrefixes).toEqual(["d/"]);
    expect(page.entries.map((e) => e.versionId)).toEqual(["c#1", "e#2", "e#1"]);
    const inner = await listVersionsPage(store, "b", { prefix: "", delimiter: "/", keyMarker: "b/1", versionMarkerSeq: 2, maxKeys: 1 });
    expect(inner.entries.map((e) => e.versionId)).toEqual(["c#1"]);
  });

  test("markers outside the prefix", async () => {
    const store = new FakeStore([...ROWS]);
    expect((await listVersionsPage(store, "b", { prefix: "d/", keyMarker: "a", versionMarkerSeq: 1, maxKeys: 1000 })).entries).toHaveLength(4);
    expect((await listVersionsPage(store, "b", { prefix: "b/", keyMarker: "c", maxKeys: 1000 })).entries).toHaveLength(0);
  });

  test("max-keys 0 answers nothing and is not truncated", async () => {
    const page = await listVersionsPage(new FakeStore([...ROWS]), "b", { prefix: "", maxKeys: 0 });
    expect(page).toEqual({ entries: [], commonPrefixes: [], isTruncated: false, next: undefined });
  });

  test("a page costs O(page), however many versions sit under a rolled-up prefix or a key", async () => {
    const store = new FakeStore([...versions("a", 1), ...versions("big/x", 5000), ...versions("big/y", 5000), ...versions("huge", 5000), ...versions("z", 1)]);
    const page = await listVersionsPage(store, "b", { prefix: "", delimiter: "/", maxKeys: 3 });
    expect(page.entries.map((e) => e.versionId)).toEqual(["a#1", "huge#5000"]);
    expect(page.commonPrefixes).toEqual(["big/"]);
    expect(page.isTruncated).toBe(true);
    expect(store.rowsRead).toBeLessThan(20);

    const second = new FakeStore(store.rows);
    const next = await listVersionsPage(second, "b", { prefix: "", delimiter: "/", keyMarker: "huge", versionMarkerSeq: 5000, maxKeys: 2 });
    expect(next.entries.map((e) => e.versionId)).toEqual(["huge#4999", "huge#4998"]);
    expect(second.rowsRead).toBeLessThan(10);
  });

  test("a huge key listed in pages of 1000 reads each row about once", async () => {
    const store = new FakeStore(versions("k", 2500));
    const { out, pages } = await pageAll(store, { maxKeys: 1000 });
    expect(out).toHaveLength(2500);
    expect(pages).toBe(3);
    expect(store.rowsRead).toBeLessThan(2500 + 3 * 2 + 10);
  });
});
