/**
 * The walk behind ListMultipartUploads: uploads in (key, upload id) order after the markers,
 * rolled up into CommonPrefixes by the delimiter. A key-marker that is (or lies inside) a
 * common prefix means that prefix was already returned, so the walk seeks past it, and a page
 * that ends inside a prefix seeks past it instead of reading every upload under it.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html
 */
import { commonPrefixOf, prefixSuccessor } from "./pagination";

export type UploadCursor = { keyMarker?: string; uploadIdMarker?: string; from?: string };

export type UploadRangeReader<T extends { key: string; id: string }> = (cursor: UploadCursor & { limit: number }) => Promise<T[]>;

export type UploadsPage<T> = {
  uploads: T[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** markers of the next page: the last upload, or the last common prefix (no upload id) */
  next?: { key: string; uploadId?: string };
};

const BATCH = 1000;

export async function listUploadsPage<T extends { key: string; id: string }>(
  read: UploadRangeReader<T>,
  opts: { prefix: string; delimiter?: string; keyMarker?: string; uploadIdMarker?: string; maxUploads: number },
): Promise<UploadsPage<T>> {
  const { prefix, delimiter, maxUploads } = opts;
  const page: UploadsPage<T> = { uploads: [], commonPrefixes: [], isTruncated: false };
  if (maxUploads === 0) return page;

  let cursor: UploadCursor = {};
  if (opts.keyMarker) {
    const cp = commonPrefixOf(opts.keyMarker, prefix, delimiter);
    if (cp !== null) {
      const next = prefixSuccessor(cp);
      if (next === null) return page;
      cursor = { from: next };
    } else {
      // upload-id-marker only counts together with key-marker (API reference).
      cursor = { keyMarker: opts.keyMarker, uploadIdMarker: opts.uploadIdMarker || undefined };
    }
  }

  let lastPrefix: string | null = null;
  for (;;) {
    const rows = await read({ ...cursor, limit: BATCH });
    for (const row of rows) {
      const cp = commonPrefixOf(row.key, prefix, delimiter);
      if (cp !== null && cp === lastPrefix) continue;
      if (page.uploads.length + page.commonPrefixes.length === maxUploads) {
        page.isTruncated = true;
        return page;
      }
      if (cp !== null) {
        page.commonPrefixes.push(cp);
        page.next = { key: cp };
      } else {
        page.uploads.push(row);
        page.next = { key: row.key, uploadId: row.id };
      }
      lastPrefix = cp;
    }
    if (rows.length < BATCH) return page;
    const last = rows[rows.length - 1];
    if (lastPrefix !== null && last.key.startsWith(lastPrefix)) {
      const next = prefixSuccessor(lastPrefix);
      if (next === null) return page;
      cursor = { from: next };
    } else {
      cursor = { keyMarker: last.key, uploadIdMarker: last.id };
    }
  }
}
