/**
 * Conditional requests: parse the headers into a value, then decide purely (Garage
 * src/api/s3/get.rs PreconditionHeaders::parse/check).
 *   Reads:  RFC 7232 section 6 evaluation order, as S3 documents it on GetObject/HeadObject
 *           https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 *           (If-Match true + If-Unmodified-Since false -> 200; If-None-Match false +
 *           If-Modified-Since true -> 304). CopyObject/UploadPartCopy reuse this with the
 *           "x-amz-copy-source-" prefix; S3 answers 412 for both failures there, mapped by the caller.
 *   Writes: "How to prevent object overwrites with conditional writes"
 *           https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
 *           If-None-Match accepts only "*"; If-Match on a missing key is 404 NoSuchKey (observed on
 *           AWS: minio/minio#21526); any other value of If-None-Match, or both headers together,
 *           is 501 NotImplemented (aws/aws-sdk-ruby#3144, versity/versitygw#1727).
 */
import { S3Error } from "../errors";

/** One entry of an If-Match / If-None-Match list: "*" or an opaque tag (without quotes). */
export type EtagCondition = "*" | { tag: string; weak: boolean };

export interface Preconditions {
  ifMatch?: EtagCondition[];
  ifNoneMatch?: EtagCondition[];
  ifModifiedSince?: Date;
  ifUnmodifiedSince?: Date;
  /** "" or "x-amz-copy-source-": used to name the failed header. */
  prefix: string;
}

export type PreconditionOutcome = "proceed" | "not-modified" | "precondition-failed";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const IMF_RE = /^[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC850_RE = /^[A-Za-z]{6,9}, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME_RE = /^[A-Za-z]{3} ([A-Za-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

function utc(y: number, mon: string, d: number, h: number, mi: number, s: number): Date | undefined {
  const m = MONTHS.findIndex((x) => x.toLowerCase() === mon.toLowerCase());
  if (m < 0 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const t = new Date(Date.UTC(y, m, d, h, mi, Math.min(s, 59)));
  return t.getUTCDate() === d ? t : undefined; // rejects Feb 30 and friends
}

/**
 * HTTP-date (RFC 7231 section 7.1.1.1): IMF-fixdate, obsolete RFC 850 and asctime forms.
 * Anything else is undefined (the header is then ignored, as RFC 7232 requires).
 */
export function parseHttpDate(value: string | null | undefined): Date | undefined {
  if (!value) return undefined;
  const v = value.trim();
  let m = IMF_RE.exec(v);
  if (m) return utc(+m[3]!, m[2]!, +m[1]!, +m[4]!, +m[5]!, +m[6]!);
  m = RFC850_RE.exec(v);
  if (m) {
    const yy = +m[3]!;
    return utc(yy < 70 ? 2000 + yy : 1900 + yy, m[2]!, +m[1]!, +m[4]!, +m[5]!, +m[6]!);
  }
  m = ASCTIME_RE.exec(v);
  if (m) return utc(+m[6]!, m[1]!, +m[2]!.trim(), +m[3]!, +m[4]!, +m[5]!);
  return undefined;
}

/** IMF-fixdate, for Last-Modified and friends. */
export function formatHttpDate(d: Date): string {
  return d.toUTCString();
}

/**
 * Parse an entity-tag list: `*`, or comma-separated tags, quoted or not (S3 accepts unquoted),
 * optionally weak (`W/"x"`). Empty or unparsable lists are undefined (header ignored).
 */
export function parseEtagList(value: string | null | undefined): EtagCondition[] | undefined {
  if (value == null) return undefined;
  const v = value.trim();
  if (v === "") return undefined;
  if (v === "*") return ["*"];
  const out: EtagCondition[] = [];
  const re = /\s*(W\/)?("[^"]*"|[^,]*?)\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < v.length && (m = re.exec(v)) !== null) {
    const raw = m[2]!;
    if (raw === "" && !m[1]) continue; // tolerate empty list elements ("a, ,b")
    const tag = raw.startsWith('"') ? raw.slice(1, -1) : raw;
    if (tag === "*") out.push("*");
    else out.push({ tag, weak: m[1] !== undefined });
  }
  return out.length > 0 ? out : undefined;
}

function unquote(etag: string): string {
  return etag.length >= 2 && etag.startsWith('"') && etag.endsWith('"') ? etag.slice(1, -1) : etag;
}

/** RFC 7232 section 2.3.2: If-Match uses strong comparison, If-None-Match weak comparison. */
function listMatches(list: EtagCondition[], etag: string, strong: boolean): boolean {
  const current = unquote(etag);
  return list.some((c) => c === "*" || (c.tag === current && !(strong && c.weak)));
}

/** Read the four conditional headers (optionally prefixed, e.g. "x-amz-copy-source-"). */
export function parsePreconditions(headers: Headers, prefix = ""): Preconditions {
  return {
    ifMatch: parseEtagList(headers.get(`${prefix}if-match`)),
    ifNoneMatch: parseEtagList(headers.get(`${prefix}if-none-match`)),
    ifModifiedSince: parseHttpDate(headers.get(`${prefix}if-modified-since`)),
    ifUnmodifiedSince: parseHttpDate(headers.get(`${prefix}if-unmodified-since`)),
    prefix,
  };
}

export function hasPreconditions(p: Preconditions): boolean {
  return !!(p.ifMatch || p.ifNoneMatch || p.ifModifiedSince || p.ifUnmodifiedSince);
}

/**
 * RFC 7232 section 6 with the deciding header's name (e.g. "If-Match",
 * "x-amz-copy-source-If-None-Match") so callers can add <Condition> to the error.
 * Dates compare at one-second granularity, since Last-Modified is sent in whole seconds.
 */
export function evaluatePreconditions(p: Preconditions, object: { etag: string; lastModified: Date }): { outcome: PreconditionOutcome; header?: string } {
  const lastModified = Math.floor(object.lastModified.getTime() / 1000) * 1000;
  const name = (h: string) => p.prefix + h;
  if (p.ifMatch) {
    if (!listMatches(p.ifMatch, object.etag, true)) return { outcome: "precondition-failed", header: name("If-Match") };
  } else if (p.ifUnmodifiedSince && lastModified > p.ifUnmodifiedSince.getTime()) {
    return { outcome: "precondition-failed", header: name("If-Unmodified-Since") };
  }
  if (p.ifNoneMatch) {
    if (listMatches(p.ifNoneMatch, object.etag, false)) return { outcome: "not-modified", header: name("If-None-Match") };
  } else if (p.ifModifiedSince && lastModified <= p.ifModifiedSince.getTime()) {
    return { outcome: "not-modified", header: name("If-Modified-Since") };
  }
  return { outcome: "proceed" };
}

export function checkPreconditions(p: Preconditions, object: { etag: string; lastModified: Date }): PreconditionOutcome {
  return evaluatePreconditions(p, object).outcome;
}

/**
 * Conditional writes (PutObject, CompleteMultipartUpload, CopyObject destination). `existing` is
 * the current version (null when the key is absent or its current version is a delete marker).
 * Throws PreconditionFailed (with <Condition>), NoSuchKey or NotImplemented; returns otherwise.
 */
export function checkWritePreconditions(headers: Headers, existing: { etag: string } | null): void {
  const ifMatchRaw = headers.get("if-match");
  const ifNoneMatchRaw = headers.get("if-none-match");
  if (ifMatchRaw !== null && ifNoneMatchRaw !== null) {
    throw new S3Error("NotImplemented", undefined, { Header: "If-Match,If-None-Match" });
  }
  if (ifNoneMatchRaw !== null) {
    if (ifNoneMatchRaw.trim() !== "*") throw new S3Error("NotImplemented", undefined, { Header: "If-None-Match" });
    if (existing) throw new S3Error("PreconditionFailed", undefined, { Condition: "If-None-Match" });
  }
  if (ifMatchRaw !== null) {
    if (!existing) throw new S3Error("NoSuchKey");
    const list = parseEtagList(ifMatchRaw);
    if (!list || !listMatches(list, existing.etag, true)) {
      throw new S3Error("PreconditionFailed", undefined, { Condition: "If-Match" });
    }
  }
}
