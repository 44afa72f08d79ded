/**
 * AWS Signature Version 4 verification for S3: Authorization header and presigned URLs.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
 *
 * Steps: parse -> check scope and time -> look up the secret -> canonical request -> string to sign ->
 * HMAC with the (cached) signing key -> constant-time compare. The canonical URI is the raw path
 * decoded once and re-encoded with UriEncode() (what S3 does, so "/test$file.text" signs as
 * "/test%24file.text"); when that fails, the raw path exactly as sent is tried too, for clients that
 * sign their own non-normalised escapes (lowercase hex, "%7E").
 */
import { S3Error } from "../errors";
import { canonicalHeaders, canonicalQuery, canonicalRequest, canonicalUri, rawTarget } from "./canonical";
import { toHex } from "../logic/encoding";
import { hmac, sha256Hex, signingKey, timingSafeEqual } from "./crypto";
import { parsePayloadHash, type PayloadHash } from "./payload";
import { ALGORITHM, checkScope, formatAmzDate, parseAmzDate, parseAuthorizationV4, parsePresignedQuery, type ParsedV4 } from "./sigv4-parse";

export const MAX_SKEW_MS = 15 * 60 * 1000;

/** The parts of a request that SigV4 covers, taken from the raw request target. */
export interface SigningRequest {
  method: string;
  rawPath: string;
  rawQuery: string;
  headers: Headers;
  /** used for the host header when the runtime does not expose it */
  host: string;
}

/** `url` only supplies the host fallback; path and query come from the raw `request.url`. */
export function signingRequestFrom(request: Request, url: URL = new URL(request.url)): SigningRequest {
  const { path, query } = rawTarget(request.url);
  return { method: request.method, rawPath: path, rawQuery: query, headers: request.headers, host: url.host };
}

export interface SigV4Options {
  lookupSecret: (accessKeyId: string) => Promise<string | null>;
  allowedRegions: readonly string[] | "any";
  now: Date;
}

/** What aws-chunked signature verification continues from. */
export interface ChunkSigning {
  key: CryptoKey;
  amzDate: string;
  scope: string;
  seedSignature: string;
}

export interface SigV4Result {
  accessKeyId: string;
  /** the credential scope's region */
  region: string;
  payload: PayloadHash;
  chunkSigning: ChunkSigning;
}

export async function verifySigV4Header(req: SigningRequest, authorization: string, opts: SigV4Options): Promise<SigV4Result> {
  const parsed = parseAuthorizationV4(authorization);
  const { amzDate, timestamp, raw } = requestTime(req.headers);
  checkScope(parsed.credential, opts.allowedRegions, amzDate, "AuthorizationHeaderMalformed");
  if (Math.abs(opts.now.getTime() - timestamp.getTime()) > MAX_SKEW_MS) {
    throw new S3Error("RequestTimeTooSkewed", undefined, {
      RequestTime: raw,
      ServerTime: isoSeconds(opts.now),
      MaxAllowedSkewMilliseconds: MAX_SKEW_MS,
    });
  }
  const contentSha = req.headers.get("x-amz-content-sha256");
  if (contentSha === null) throw new S3Error("contentSha256Missing");
  const payload = parsePayloadHash(contentSha);
  assertHeadersSigned(req.headers, parsed.signedHeaderList);
  const secret = await secretFor(parsed.credential.accessKeyId, opts);
  const { key, scope } = await verifySignature(req, parsed, amzDate, secret, contentSha);
  return {
    accessKeyId: parsed.credential.accessKeyId,
    region: parsed.credential.region,
    payload,
    chunkSigning: { key, amzDate, scope, seedSignature: parsed.signature.toLowerCase() },
  };
}

/**
 * x-amz-* headers a request may carry unsigned: body framing whose tampering the body checks catch
 * anyway (the payload hash, the decoded length against the chunks, the trailer against its signature).
 */
const UNSIGNED_OK = new Set(["x-amz-content-sha256", "x-amz-decoded-content-length", "x-amz-trailer"]);

/**
 * S3's rule for header and presigned SigV4 alike: `host` and every x-amz-* header present must be
 * in SignedHeaders. Otherwise whoever saw one signed request could replay it with an added
 * x-amz-copy-source, x-amz-acl or SSE-C key, and the signature would still match. Content-Type is
 * not required: aws4fetch (and browsers using it) never sign it.
 */
export function assertHeadersSigned(headers: Headers, signedHeaderList: readonly string[]): void {
  const signed = new Set(signedHeaderList);
  const notSigned: string[] = signed.has("host") ? [] : ["host"];
  headers.forEach((_, name) => {
    if (name.startsWith("x-amz-") && !UNSIGNED_OK.has(name) && !signed.has(name)) notSigned.push(name);
  });
  if (notSigned.length) {
    throw new S3Error("headersNotSigned", undefined, {
      HeadersNotSigned: notSigned.join(", "),
    });
  }
}

export async function verifySigV4Presigned(req: SigningRequest, params: URLSearchParams, opts: SigV4Options): Promise<SigV4Result> {
  const parsed = parsePresignedQuery(params);
  checkScope(parsed.credential, opts.allowedRegions, parsed.amzDate, "AuthorizationQueryParametersError");
  const now = opts.now.getTime();
  const signedAt = parsed.timestamp.getTime();
  const expiresAt = signedAt + parsed.expires * 1000;
  if (now > expiresAt || signedAt - MAX_SKEW_MS > now) {
    throw new S3Error("requestExpired", undefined, {
      "X-Amz-Expires": parsed.expires,
      Expires: isoSeconds(new Date(expiresAt)),
      ServerTime: isoSeconds(opts.now),
    });
  }
  assertHeadersSigned(req.headers, parsed.signedHeaderList);
  const payloadLiteral = req.headers.get("x-amz-content-sha256") ?? "UNSIGNED-PAYLOAD";
  const payload = parsePayloadHash(payloadLiteral);
  const secret = await secretFor(parsed.credential.accessKeyId, opts);
  const { key, scope } = await verifySignature(req, parsed, parsed.amzDate, secret, payloadLiteral, "X-Amz-Signature");
  return {
    accessKeyId: parsed.credential.accessKeyId,
    region: parsed.credential.region,
    payload,
    chunkSigning: { key, amzDate: parsed.amzDate, scope, seedSignature: parsed.signature.toLowerCase() },
  };
}

/** String to sign for a canonical request. */
export async function stringToSign(amzDate: string, scope: string, canonical: string): Promise<string> {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${await sha256Hex(canonical)}`;
}

async function verifySignature(
  req: SigningRequest,
  parsed: ParsedV4,
  amzDate: string,
  secret: string,
  payloadHash: string,
  excludeParam?: string,
): Promise<{ key: CryptoKey; scope: string }> {
  const c = parsed.credential;
  const scope = `${c.date}/${c.region}/${c.service}/${c.terminal}`;
  const key = await signingKey(secret, c.date, c.region, c.service);
  const headersBlock = canonicalHeaders(req.headers, parsed.signedHeaderList, req.host);
  const query = canonicalQuery(req.rawQuery, excludeParam);
  const provided = parsed.signature.toLowerCase();
  const uris = [canonicalUri(req.rawPath)];
  if (req.rawPath !== uris[0]) uris.push(req.rawPath);
  let first: { canonical: string; sts: string } | undefined;
  for (const uri of uris) {
    const canonical = canonicalRequest(req.method, uri, query, headersBlock, parsed.signedHeaders, payloadHash);
    const sts = await stringToSign(amzDate, scope, canonical);
    if (timingSafeEqual(toHex(await hmac(key, sts)), provided)) return { key, scope };
    first ??= { canonical, sts };
  }
  throw new S3Error("SignatureDoesNotMatch", undefined, {
    AWSAccessKeyId: c.accessKeyId,
    StringToSign: first!.sts,
    SignatureProvided: parsed.signature,
    CanonicalRequest: first!.canonical,
  });
}

async function secretFor(accessKeyId: string, opts: SigV4Options): Promise<string> {
  const secret = await opts.lookupSecret(accessKeyId);
  if (secret === null) throw new S3Error("InvalidAccessKeyId", undefined, { AWSAccessKeyId: accessKeyId });
  return secret;
}

/** x-amz-date (ISO 8601 basic), else Date (HTTP date); AccessDenied when neither is usable. */
function requestTime(headers: Headers): { amzDate: string; timestamp: Date; raw: string } {
  const amz = headers.get("x-amz-date");
  if (amz !== null) {
    const t = parseAmzDate(amz.trim());
    if (t) return { amzDate: amz.trim(), timestamp: t, raw: amz };
  } else {
    const date = headers.get("date");
    const ms = date === null ? NaN : Date.parse(date);
    if (!Number.isNaN(ms)) return { amzDate: formatAmzDate(new Date(ms)), timestamp: new Date(ms), raw: date! };
  }
  throw new S3Error("authDateMissing");
}

function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}
