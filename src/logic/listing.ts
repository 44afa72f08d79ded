/**
 * The listing walk shared by ListObjects and ListObjectsV2: reads current objects in key order
 * from D1 in bounded pages and rolls keys up into CommonPrefixes. When a page ends inside a
 * common prefix, the next read seeks past the whole prefix instead of scanning it, so the cost
 * of a page grows with the page and the prefixes skipped, never with the bucket.
 */
import { commonPrefixOf, prefixSuccessor } from "./pagination";

export type ListPage<T extends { key: string } = { key: string } & Record<string, unknown>> = {
  contents: T[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** the last key or common prefix returned: the marker of the next page */
  lastEntry?: string;
};

export type KeyRangeReader<T extends { key: string }> = {
  listCurrent(bucketId: string, range: { after?: string; from?: string; before?: string | null; limit: number }): Promise<T[]>;
};

export async function listCurrentPage<T extends { key: string }>(
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
  for (;;) {
    const want = Math.min(maxKeys - (contents.length + commonPrefixes.length) + 1, 1000);
    const rows = await store.listCurrent(bucketId, { after, from, before, limit: want });
    for (const row of rows) {
      const cp = delimiter ? commonPrefixOf(row.key, prefix, delimiter) : null;
      if (cp !== null && lastWasPrefix && cp === lastEntry) continue; // inside the prefix just returned
      if (contents.length + commonPrefixes.length === maxKeys) return { contents, commonPrefixes, isTruncated: true, lastEntry };
      if (cp !== null) commonPrefixes.push(cp);
      else contents.push(row);
      lastEntry = cp ?? row.key;
      lastWasPrefix = cp !== null;
    }
    if (rows.length < want) return { contents, commonPrefixes, isTruncated: false, lastEntry };
    const lastRow = rows[rows.length - 1].key;
    if (lastWasPrefix && lastRow.startsWith(lastEntry!)) {
      // Seek past everything under the prefix instead of reading it.
      const next = prefixSuccessor(lastEntry!);
      if (next === null || (before !== null && next >= before)) return { contents, commonPrefixes, isTruncated: false, lastEntry };
      after = undefined;
      from = next;
    } else {
      after = lastRow;
      from = undefined;
    }
  }
}
