/**
 * Request authentication: the one entry the pipeline calls. Picks the mechanism (SigV4 header,
 * SigV4 presigned URL, SigV2 header, SigV2 query, anonymous), verifies it, and hands back the body
 * wrapped so that consumers only ever read verified bytes (aws-chunked decoded and checked).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html
 *
 * Consumer notes:
 * - `body === null` means a zero-length body (GET/HEAD, no body, or Content-Length: 0).
 * - `sha256Hex` is a claim the signature covers but nobody has checked yet: pass it to R2 put's
 *   `sha256` option, or use readBodyBytes(), which checks it.
 * - For aws-chunked, `length` is the decoded length; strip "aws-chunked" from Content-Encoding before
 *   storing it, and await `trailerChecksum` after the stream ends for the verified trailer value.
 */
import { S3Error } from "../errors";
import { algorithmFromHeaderName, type ChecksumAlgorithm } from "../logic/checksums";
import { rawTarget } from "./canonical";
import { awsChunkedDecoder } from "./chunked";
import { toHex } from "../logic/encoding";
import { EMPTY_SHA256 } from "./crypto";
import { parsePayloadHash, type PayloadHash } from "./payload";
import { verifySigV2Header, verifySigV2Query } from "./sigv2";
import { verifySigV4Header, verifySigV4Presigned, type ChunkSigning, type SigningRequest } from "./sigv4";
import type { SigningRegion } from "./sigv4-parse";

export type { ChecksumAlgorithm } from "../logic/checksums";

export type SecretLookup = (accessKeyId: string) => Promise<string | null>; // null -> InvalidAccessKeyId

export interface VerifiedBody {
  stream: ReadableStream<Uint8Array>;
  /** decoded byte length (Content-Length, or x-amz-decoded-content-length for aws-chunked); null when unknown */
  length: number | null;
  /** literal hex x-amz-content-sha256 the consumer must enforce (R2 put's sha256 option, or readBodyBytes) */
  sha256Hex?: string;
  /** checksum delivered in an aws-chunked trailer, already verified by the decoder: resolves after the stream ends */
  trailerChecksum?: Promise<{ algorithm: ChecksumAlgorithm; value: string } | null>;
}

export interface AuthResult {
  accessKeyId: string | null; // null = anonymous
  signatureVersion: 2 | 4 | null;
  /** SigV4: the region the request was signed for; null for SigV2 and anonymous requests */
  signingRegion: SigningRegion | null;
  body: VerifiedBody | null;
}

export interface AuthOptions {
  lookupSecret: SecretLookup;
  /** signing regions accepted in SigV4 credential scopes; "any": checked later, against the bucket's zone (zone endpoints) */
  allowedRegions: string[] | "any";
  /** bucket of a virtual-hosted request: SigV2 signs "/bucket" + path */
  bucketForV2?: string;
  now?: Date;
}

/**
 * The headers as the client signed them. Cloudflare (and workerd locally) rewrite Accept-Encoding
 * to "br, gzip" before the Worker runs; clients such as rclone sign their own value, which
 * request.cf.clientAcceptEncoding preserves.
 */
function headersAsSigned(request: Request): Headers {
  // Only a signature over Accept-Encoding (named in the Authorization header or the presigned
  // query) needs it; request.cf costs a parse on every request that reads it.
  const signedList = request.headers.get("authorization") ?? request.url;
  if (!/accept-encoding/i.test(signedList)) return request.headers;
  const original = (request as { cf?: { clientAcceptEncoding?: string } }).cf?.clientAcceptEncoding;
  if (original === undefined || original === request.headers.get("accept-encoding")) return request.headers;
  const headers = new Headers(request.headers);
  if (original === "") headers.delete("accept-encoding");
  else headers.set("accept-encoding", original);
  return headers;
}

export async function authenticate(request: Request, url: URL, opts: AuthOptions): Promise<AuthResult> {
  const now = opts.now ?? new Date();
  const { path, query } = rawTarget(request.url);
  const req: SigningRequest = { method: request.method, rawPath: path, rawQuery: query, headers: headersAsSigned(request), host: url.host };
  const params = new URLSearchParams(query);
  const authorization = request.headers.get("authorization");
  const v4Query = params.has("X-Amz-Algorithm") || params.has("X-Amz-Signature") || params.has("X-Amz-Credential");
  const v2Query = params.has("Signature") || params.has("AWSAccessKeyId");
  if ([authorization !== null, v4Query, v2Query].filter(Boolean).length > 1) {
    throw new S3Error("authMechanismConflict", undefined, { ArgumentName: "Authorization" }); // the header's value is not echoed: it may carry a credential
  }

  const v4 = { lookupSecret: opts.lookupSecret, allowedRegions: opts.allowedRegions, now };
  const v2 = { lookupSecret: opts.lookupSecret, bucket: opts.bucketForV2, now };
  let accessKeyId: string | null = null;
  let signatureVersion: 2 | 4 | null = null;
  let chunkSigning: ChunkSigning | undefined;
  let payload: PayloadHash | null = null;
  let signingRegion: SigningRegion | null = null;

  if (authorization !== null) {
    const a = authorization.trim();
    if (a.startsWith("AWS4-HMAC-SHA256")) {
      const r = await verifySigV4Header(req, a, v4);
      ({ accessKeyId, chunkSigning, payload } = r);
      signingRegion = { region: r.region, code: "AuthorizationHeaderMalformed" };
      signatureVersion = 4;
    } else if (a.startsWith("AWS ")) {
      ({ accessKeyId } = await verifySigV2Header(req, a, v2));
      signatureVersion = 2;
    } else {
      // The value is not echoed back: it may be a bearer token or another credential.
      throw new S3Error("authTypeUnsupported", undefined, { ArgumentName: "Authorization" });
    }
  } else if (v4Query) {
    const r = await verifySigV4Presigned(req, params, v4);
    ({ accessKeyId, payload } = r);
    signingRegion = { region: r.region, code: "AuthorizationQueryParametersError" };
    signatureVersion = 4;
  } else if (v2Query) {
    ({ accessKeyId } = await verifySigV2Query(req, params, v2));
    signatureVersion = 2;
  }

  if (payload === null) {
    const claimed = request.headers.get("x-amz-content-sha256");
    payload = claimed === null ? { kind: "unsigned" } : parsePayloadHash(claimed);
  }
  return { accessKeyId, signatureVersion, signingRegion, body: verifiedBody(request, payload, chunkSigning) };
}

function verifiedBody(request: Request, payload: PayloadHash, signing: ChunkSigning | undefined): VerifiedBody | null {
  const h = request.headers;
  if (payload.kind === "streaming") {
    const rawLength = h.get("x-amz-decoded-content-length");
    if (rawLength === null) throw new S3Error("decodedLengthMissing");
    if (!/^\d+$/.test(rawLength.trim())) {
      throw new S3Error("decodedLengthInvalid", undefined, { ArgumentName: "x-amz-decoded-content-length", ArgumentValue: rawLength });
    }
    const decodedLength = Number(rawLength.trim());
    const decoder = awsChunkedDecoder({
      mode: payload.mode,
      signing: payload.mode === "STREAMING-UNSIGNED-PAYLOAD-TRAILER" ? undefined : signing,
      decodedLength,
      trailerAlgorithm: trailerAlgorithm(h.get("x-amz-trailer")),
    });
    const source = request.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    return { stream: source.pipeThrough(decoder.stream), length: decodedLength, trailerChecksum: decoder.trailer };
  }

  const rawLength = h.get("content-length");
  const chunkedTE = h.has("transfer-encoding");
  const noBody =
    request.method === "GET" || request.method === "HEAD" || request.body === null || (rawLength !== null && rawLength.trim() === "0" && !chunkedTE);
  if (noBody) {
    if (payload.kind === "hex" && payload.hex !== EMPTY_SHA256) throw sha256Mismatch(payload.hex, EMPTY_SHA256);
    return null;
  }
  const length = rawLength !== null && /^\d+$/.test(rawLength.trim()) ? Number(rawLength.trim()) : null;
  return { stream: request.body!, length, ...(payload.kind === "hex" ? { sha256Hex: payload.hex } : {}) };
}

/** x-amz-trailer must name one checksum header (it is the only trailer S3 supports). */
function trailerAlgorithm(header: string | null): ChecksumAlgorithm | null {
  if (header === null || header.trim() === "") return null;
  const algo = algorithmFromHeaderName(header);
  if (!algo) throw new S3Error("trailerUnsupported", { header });
  return algo;
}

function sha256Mismatch(client: string, computed: string): S3Error {
  return new S3Error("XAmzContentSHA256Mismatch", undefined, {
    ClientComputedContentSHA256: client,
    S3ComputedContentSHA256: computed,
  });
}

/**
 * Reads a small body (an XML document) fully. More than `maxBytes` -> MaxMessageLengthExceeded;
 * a `sha256Hex` claim is checked (XAmzContentSHA256Mismatch); a short body -> IncompleteBody.
 */
export async function readBodyBytes(body: VerifiedBody | null, maxBytes: number): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  const tooBig = () => new S3Error("requestTooBig", { maxBytes });
  if (body.length !== null && body.length > maxBytes) {
    await body.stream.cancel().catch(() => {});
    throw tooBig();
  }
  const reader = body.stream.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooBig();
    }
    parts.push(value);
  }
  if (body.length !== null && total !== body.length) throw new S3Error("IncompleteBody");
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  if (body.sha256Hex !== undefined) {
    const computed = toHex(await crypto.subtle.digest("SHA-256", out));
    if (computed !== body.sha256Hex) throw sha256Mismatch(body.sha256Hex, computed);
  }
  return out;
}
