/**
 * AWS Signature Version 2 for S3 (HMAC-SHA1): `Authorization: AWS AKID:sig` and query-string auth
 * (AWSAccessKeyId, Signature, Expires).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html
 *
 *   StringToSign = VERB \n Content-MD5 \n Content-Type \n Date|Expires \n CanonicalizedAmzHeaders CanonicalizedResource
 *
 * The resource is the path as sent (escapes untouched, like botocore and the AWS examples), prefixed
 * by "/bucket" for virtual-hosted requests, plus the sub-resources below with decoded values.
 */
import { S3Error } from "../errors";
import { canonicalUri } from "./canonical";
import { toBase64 } from "../logic/encoding";
import { hmac, hmacKey, timingSafeEqual } from "./crypto";
import { MAX_SKEW_MS, type SigningRequest } from "./sigv4";

/** Query parameters that belong to the canonicalized resource (AWS list + what botocore/s3cmd sign). */
export const SUBRESOURCES = new Set([
  "accelerate",
  "acl",
  "analytics",
  "cors",
  "delete",
  "encryption",
  "inventory",
  "legal-hold",
  "lifecycle",
  "location",
  "logging",
  "metrics",
  "notification",
  "object-lock",
  "partNumber",
  "policy",
  "replication",
  "requestPayment",
  "restore",
  "retention",
  "select",
  "select-type",
  "tagging",
  "torrent",
  "uploadId",
  "uploads",
  "versionId",
  "versioning",
  "versions",
  "website",
  "response-cache-control",
  "response-content-disposition",
  "response-content-encoding",
  "response-content-language",
  "response-content-type",
  "response-expires",
]);

export interface SigV2Options {
  lookupSecret: (accessKeyId: string) => Promise<string | null>;
  /** bucket name for virtual-hosted requests (prefixes the resource) */
  bucket?: string;
  now: Date;
}

/** The canonicalized resource: [/bucket] + raw path + [?sorted sub-resources]. */
export function canonicalResourceV2(rawPath: string, rawQuery: string, bucket?: string): string {
  const subs: [string, string | null][] = [];
  for (const part of rawQuery.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const name = eq >= 0 ? part.slice(0, eq) : part;
    if (!SUBRESOURCES.has(name)) continue;
    subs.push([name, eq >= 0 ? safeDecode(part.slice(eq + 1)) : null]);
  }
  subs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const query = subs.map(([k, v]) => (v === null ? k : `${k}=${v}`)).join("&");
  return (bucket ? `/${bucket}` : "") + rawPath + (query ? `?${query}` : "");
}

/**
 * `dateOrExpires`: the Date line (header auth) or the Expires value (query auth). Fetch joins repeated
 * headers with ", " where S3 joins them with ","; `splitCommas` canonicalises values that way.
 */
export function stringToSignV2(req: SigningRequest, dateOrExpires: string, resource: string, splitCommas = false, omitAmzDate = false): string {
  const h = req.headers;
  const amz = new Map<string, string>();
  h.forEach((value, name) => {
    if (name.startsWith("x-amz-") && !(omitAmzDate && name === "x-amz-date"))
      amz.set(
        name,
        splitCommas
          ? value
              .split(",")
              .map((v) => v.trim())
              .join(",")
          : value.trim(),
      );
  });
  const amzLines = [...amz.keys()]
    .sort()
    .map((k) => `${k}:${amz.get(k)}\n`)
    .join("");
  return `${req.method}\n${h.get("content-md5") ?? ""}\n${h.get("content-type") ?? ""}\n${dateOrExpires}\n${amzLines}${resource}`;
}

export async function verifySigV2Header(req: SigningRequest, authorization: string, opts: SigV2Options): Promise<{ accessKeyId: string }> {
  const m = /^AWS ([^:\s]+):(\S+)$/.exec(authorization.trim());
  if (!m) throw new S3Error("sigV2HeaderInvalid", undefined, { ArgumentName: "Authorization" });
  const [, accessKeyId, signature] = m as unknown as [string, string, string];
  // x-amz-date wins over Date; it is then part of the amz headers and the Date line stays empty.
  const amzDate = req.headers.get("x-amz-date");
  const date = req.headers.get("date");
  const when = Date.parse(amzDate ?? date ?? "");
  if (Number.isNaN(when)) throw new S3Error("authDateMissing");
  if (Math.abs(opts.now.getTime() - when) > MAX_SKEW_MS) {
    throw new S3Error("RequestTimeTooSkewed", undefined, {
      RequestTime: (amzDate ?? date)!,
      ServerTime: opts.now.toUTCString(),
      MaxAllowedSkewMilliseconds: MAX_SKEW_MS,
    });
  }
  // The documented rule is an empty Date line plus x-amz-date among the amz headers; the AWS DELETE
  // example instead puts the x-amz-date value on the Date line. Both are accepted.
  const variants: DateVariant[] =
    amzDate !== null
      ? [
          { dateLine: "", omitAmzDate: false },
          { dateLine: amzDate.trim(), omitAmzDate: true },
        ]
      : [{ dateLine: date!, omitAmzDate: false }];
  await verify(req, accessKeyId, signature, variants, opts);
  return { accessKeyId };
}

export async function verifySigV2Query(req: SigningRequest, params: URLSearchParams, opts: SigV2Options): Promise<{ accessKeyId: string }> {
  const accessKeyId = params.get("AWSAccessKeyId");
  const expires = params.get("Expires");
  // URLSearchParams turns an unescaped "+" of the base64 signature into a space.
  const signature = params.get("Signature")?.replace(/ /g, "+");
  if (!accessKeyId || !expires || !signature) {
    throw new S3Error("sigV2QueryParametersMissing");
  }
  if (!/^\d+$/.test(expires)) throw new S3Error("sigV2ExpiresInvalid", { expires });
  if (Number(expires) * 1000 < opts.now.getTime()) {
    throw new S3Error("requestExpired", undefined, {
      Expires: new Date(Number(expires) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"),
      ServerTime: opts.now.toISOString().replace(/\.\d{3}Z$/, "Z"),
    });
  }
  await verify(req, accessKeyId, signature, [{ dateLine: expires, omitAmzDate: false }], opts);
  return { accessKeyId };
}

/**
 * Checks the signature over the raw-path resource, then the UriEncode()-normalised path (and "/bucket/"
 * for a bare path-style "/bucket"), with
 * repeated x-amz-* headers joined by ", " (fetch) or "," (S3), for each date variant. The variants
 * are cheap and only failing requests try more than one.
 */
interface DateVariant {
  dateLine: string;
  omitAmzDate: boolean;
}

async function verify(req: SigningRequest, accessKeyId: string, provided: string, dates: DateVariant[], opts: SigV2Options): Promise<void> {
  const secret = await opts.lookupSecret(accessKeyId);
  if (secret === null) throw new S3Error("InvalidAccessKeyId", undefined, { AWSAccessKeyId: accessKeyId });
  const key = await hmacKey(secret, "SHA-1");
  const paths = [req.rawPath];
  const normalised = canonicalUri(req.rawPath);
  if (normalised !== req.rawPath) paths.push(normalised);
  // A path-style bucket request ("/bucket?list-type=2") is signed as "/bucket/" (botocore, AWS docs).
  if (!opts.bucket && /^\/[^/]+$/.test(req.rawPath)) paths.push(req.rawPath + "/");
  const tried = new Set<string>();
  for (const { dateLine, omitAmzDate } of dates) {
    for (const splitCommas of [false, true]) {
      for (const path of paths) {
        const sts = stringToSignV2(req, dateLine, canonicalResourceV2(path, req.rawQuery, opts.bucket), splitCommas, omitAmzDate);
        if (tried.has(sts)) continue;
        tried.add(sts);
        if (timingSafeEqual(toBase64(await hmac(key, sts)), provided)) return;
      }
    }
  }
  const first = tried.values().next().value;
  throw new S3Error("SignatureDoesNotMatch", undefined, {
    AWSAccessKeyId: accessKeyId,
    StringToSign: first!,
    SignatureProvided: provided,
  });
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
