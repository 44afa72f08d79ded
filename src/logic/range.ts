/**
 * The Range request header for GetObject/HeadObject.
 *   AWS S3 API Reference, GetObject, "Range": https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 *   ("Amazon S3 doesn't support retrieving multiple ranges of data per GET request.")
 *   RFC 9110 section 14 (byte ranges; a syntactically invalid Range is ignored).
 *
 * Outcomes: `null` = ignore the header and answer 200 with the whole object (absent, malformed,
 * multi-range, first-pos > last-pos); `{start, end}` inclusive, with `end` clamped to size-1;
 * S3Error InvalidRange (416, with <RangeRequested>, <ActualObjectSize> and a
 * `Content-Range: bytes *\/size` header) when the range is valid but unsatisfiable.
 */
import { S3Error } from "../errors";

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

const RANGE_RE = /^bytes[ \t]*=[ \t]*(\d*)[ \t]*-[ \t]*(\d*)$/i;

function unsatisfiable(header: string, size: number): S3Error {
  return new S3Error("InvalidRange", undefined, { RangeRequested: header, ActualObjectSize: size }, { "Content-Range": `bytes */${size}` });
}

export function parseRange(header: string | null | undefined, size: number): ByteRange | null {
  if (header == null) return null;
  const m = RANGE_RE.exec(header.trim());
  if (!m) return null; // malformed or multi-range ("bytes=0-1,5-6"): S3 ignores it
  const [, first, last] = m as unknown as [string, string, string];
  if (first === "" && last === "") return null;
  const total = BigInt(size);

  if (first === "") {
    // Suffix range: the last N bytes.
    const n = BigInt(last);
    if (n === 0n || total === 0n) throw unsatisfiable(header, size);
    const start = n >= total ? 0n : total - n;
    return { start: Number(start), end: size - 1 };
  }

  const start = BigInt(first);
  if (last !== "" && BigInt(last) < start) return null; // invalid per RFC 9110: ignore
  if (start >= total) throw unsatisfiable(header, size);
  const end = last === "" || BigInt(last) >= total ? total - 1n : BigInt(last);
  return { start: Number(start), end: Number(end) };
}

/** `Content-Range: bytes start-end/size` for a 206 response. */
export function contentRangeHeader(start: number, end: number, size: number): string {
  return `bytes ${start}-${end}/${size}`;
}
