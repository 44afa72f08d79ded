/**
 * The ListObjectVersions walk: reads versions and delete markers in (key ascending, newest first)
 * order in bounded pages and rolls keys up into CommonPrefixes, like logic/listing.ts does for
 * current objects. Every version, delete marker and common prefix counts toward max-keys.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html
 *
 * Position: after `key-marker` alone means "keys after it"; with `version-id-marker` (resolved to
 * that version's seq by the caller) it means "the older versions of key-marker, then keys after it".
 * A marker inside a common prefix means the prefix was already returned: the walk resumes past it.
 *
 * Cost: each read asks for at most the entries still wanted plus one (capped at 1001); when a read
 * ends inside a common prefix, the next one seeks past the whole prefix instead of scanning it. So a
 * page costs O(page size + prefixes rolled up), never O(bucket) or O(versions under a prefix).
 */
import { commonPrefixOf, compareUtf8, prefixSuccessor } from "./pagination";

/**
 * A version row. A store that rolls keys up (`rollup`) returns one row per common prefix with
 * `commonPrefix` set and `rows` = the versions it stands for; other stores leave both undefined.
 */
export type VersionRow = { key: string; versionId: string; seq: number; commonPrefix?: string | null; rows?: number };

export type VersionReader<T extends VersionRow> = {
  listVersions(
    bucketId: string,
    range:
      | { key: string; seqBelow: number; limit: number }
      | { after?: string; from?: string; before?: string | null; limit: number; rollup?: { prefix: string; delimiter: string } },
  ): Promise<T[]>;
};

/** Largest number of index rows one read may scan when rolling prefixes up. */
const MAX_SCAN = 10_000;

export type VersionPage<T extends VersionRow> = {
  entries: T[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** markers of the next page when truncated: the last entry returned (no version id after a prefix) */
  next?: { keyMarker: string; versionIdMarker?: string };
};

type Cursor = { key: string; seqBelow: number } | { after?: string; from?: string };

/** The largest page (S3's max-keys, 1000) plus the one row that tells whether it is truncated: one read for a full page. */
const MAX_READ = 1001;

export async function listVersionsPage<T extends VersionRow>(
  store: VersionReader<T>,
  bucketId: string,
  opts: { prefix: string; delimiter?: string; keyMarker?: string; versionMarkerSeq?: number; maxKeys: number },
): Promise<VersionPage<T>> {
  const { prefix, delimiter, maxKeys } = opts;
  const before = prefix ? prefixSuccessor(prefix) : null;
  const entries: T[] = [];
  const commonPrefixes: string[] = [];
  const done = (isTruncated: boolean): VersionPage<T> => ({ entries, commonPrefixes, isTruncated, next: isTruncated ? next : undefined });
  let next: VersionPage<T>["next"];
  if (maxKeys === 0) return done(false);

  const start = startingCursor(opts, before);
  if (start === null) return done(false);
  let cursor: Cursor = start;
  let lastPrefix: string | null = null; // the common prefix returned last, while rows inside it are skipped

  const rollup = delimiter ? { prefix, delimiter } : undefined;
  let scan = Math.min(maxKeys + 1, MAX_READ);
  for (;;) {
    const needed = Math.min(maxKeys - (entries.length + commonPrefixes.length) + 1, MAX_READ);
    const want = "key" in cursor ? needed : Math.max(needed, scan);
    const rows = await store.listVersions(bucketId, "key" in cursor ? { ...cursor, limit: want } : { ...cursor, before, limit: want, rollup });
    let scanned = 0;
    let fresh = 0;
    for (const row of rows) {
      scanned += row.rows ?? 1;
      const cp = row.commonPrefix !== undefined ? row.commonPrefix : delimiter ? commonPrefixOf(row.key, prefix, delimiter) : null;
      if (cp !== null && cp === lastPrefix) continue;
      fresh++;
      if (entries.length + commonPrefixes.length === maxKeys) return done(true);
      if (cp !== null) {
        commonPrefixes.push(cp);
        next = { keyMarker: cp };
      } else {
        entries.push(row);
        next = { keyMarker: row.key, versionIdMarker: row.versionId };
      }
      lastPrefix = cp;
    }
    const last = rows[rows.length - 1];
    // Few entries per row scanned (many versions under each rolled-up prefix): scan further next time.
    if (!("key" in cursor) && fresh < needed && rows.some((r) => r.rows !== undefined)) scan = Math.min(want * 4, MAX_SCAN);
    if (scanned < want) {
      // One key's older versions are exhausted: go on with the keys after it.
      if ("key" in cursor) cursor = { after: cursor.key };
      else return done(false);
    } else if (lastPrefix !== null && last.key.startsWith(lastPrefix)) {
      // Seek past everything under the prefix instead of reading it.
      const past = prefixSuccessor(lastPrefix);
      if (past === null || (before !== null && compareUtf8(past, before) >= 0)) return done(false);
      cursor = { from: past };
    } else {
      // Resume right after the last row read: that key's older versions first.
      cursor = { key: last.key, seqBelow: last.seq };
    }
  }
}

/** Where the walk starts, from prefix and markers; null when nothing can follow. */
function startingCursor(opts: { prefix: string; delimiter?: string; keyMarker?: string; versionMarkerSeq?: number }, before: string | null): Cursor | null {
  const { prefix, delimiter, keyMarker } = opts;
  if (keyMarker === undefined || keyMarker === "" || compareUtf8(keyMarker, prefix) < 0) return { from: prefix };
  if (before !== null && compareUtf8(keyMarker, before) >= 0) return null;
  const cp = delimiter ? commonPrefixOf(keyMarker, prefix, delimiter) : null;
  if (cp !== null) {
    const past = prefixSuccessor(cp);
    return past === null ? null : { from: past };
  }
  if (opts.versionMarkerSeq !== undefined) return { key: keyMarker, seqBelow: opts.versionMarkerSeq };
  return { after: keyMarker };
}
