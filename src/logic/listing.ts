/**
 * The listing walk shared by ListObjects and ListObjectsV2: reads current objects in key order
 * from D1 in bounded reads, the store rolling keys up into CommonPrefixes (one row per prefix).
 * When a read ends inside a common prefix, the next read seeks past the whole prefix instead of
 * scanning it, so the cost of a page grows with the page and the prefixes skipped, never with
 * the bucket. Reads that yield few entries (many keys per prefix) grow, up to MAX_SCAN rows.
 */
import { commonPrefixOf, prefixSuccessor } from "./pagination";

export type ListPage<T extends { key: string } = { key: string } & Record<string, unknown>> = {
  contents: T[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** the last key or common prefix returned: the marker of the next page */
  lastEntry?: string;
};

/** A row of a read: an object, or a common prefix standing for `rows` keys (a grouped scan ends at `lastKey`; the prefix walk answers 1 and the prefix's first key). */
export type RolledRow = { key: string; commonPrefix: string | null; lastKey: string; rows: number };

export type KeyRangeReader<T extends RolledRow> = {
  listCurrent(
    bucketId: string,
    range: { after?: string; from?: string; before?: string | null; limit: number; rollup?: { prefix: string; delimiter: string } },
  ): Promise<T[]>;
};

/** Largest number of index rows one read may scan. */
const MAX_SCAN = 10_000;
/** The largest page (S3's max-keys, 1000) plus the one row that tells whether it is truncated: one read for a full page. */
const MAX_READ = 1001;

export async function listCurrentPage<T extends RolledRow>(
  store: KeyRangeReader<T>,
  bucketId: string,
  opts: { prefix: string; delimiter?: string; after?: string; maxKeys: number },
): Promise<ListPage<T>> {
  const { prefix, delimiter, maxKeys } = opts;
  const before = prefix ? prefixSuccessor(prefix) : null;
  const contents: T[] = [];
  const commonPrefixes: string[] = [];
  let lastEntry: string | undefined;
  if (maxKeys === 0) return { contents, commonPrefixes, isTruncated: false };

  // Lower bound of the next read: exclusive `after`, or inclusive `from` once we seek past a prefix.
  let after = opts.after !== undefined && opts.after >= prefix ? opts.after : undefined;
  let from: string | undefined = after === undefined ? prefix : undefined;
  // A marker inside a common prefix means that prefix was already returned: skip it.
  if (after !== undefined && delimiter) {
    const cp = commonPrefixOf(after, prefix, delimiter);
    if (cp !== null && after.startsWith(cp)) {
      const next = prefixSuccessor(cp);
      if (next === null) return { contents, commonPrefixes, isTruncated: false };
      after = undefined;
      from = next;
    }
  }

  let lastWasPrefix = false;
  const rollup = delimiter ? { prefix, delimiter } : undefined;
  let scan = Math.min(maxKeys + 1, MAX_READ);
  for (;;) {
    const rows = await store.listCurrent(bucketId, { after, from, before, limit: scan, rollup });
    let scanned = 0;
    let fresh = 0;
    for (const row of rows) {
      scanned += row.rows;
      const cp = row.commonPrefix;
      if (cp !== null && lastWasPrefix && cp === lastEntry) continue; // the prefix the last read ended in
      if (contents.length + commonPrefixes.length === maxKeys) return { contents, commonPrefixes, isTruncated: true, lastEntry };
      if (cp !== null) commonPrefixes.push(cp);
      else contents.push(row);
      lastEntry = cp ?? row.key;
      lastWasPrefix = cp !== null;
      fresh++;
    }
    if (scanned < scan) return { contents, commonPrefixes, isTruncated: false, lastEntry };
    const last = rows[rows.length - 1];
    if (last.commonPrefix !== null) {
      // Seek past everything under the prefix instead of reading it.
      const next = prefixSuccessor(last.commonPrefix);
      if (next === null || (before !== null && next >= before)) return { contents, commonPrefixes, isTruncated: false, lastEntry };
      after = undefined;
      from = next;
    } else {
      after = last.lastKey;
      from = undefined;
    }
    const needed = maxKeys - (contents.length + commonPrefixes.length) + 1;
    // Few entries per row scanned (many keys per prefix): scan further next time.
    scan = fresh < needed && rollup ? Math.min(scan * 4, MAX_SCAN) : Math.min(needed, MAX_READ);
  }
}
