/**
 * Parsing of SigV4 credentials: the Authorization header and the presigned-URL query parameters.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-auth-using-authorization-header.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
 * Error codes and messages follow what S3 answers for each malformation.
 */
import { S3Error, type ErrorCode } from "../errors";

export const ALGORITHM = "AWS4-HMAC-SHA256";
export const MAX_PRESIGNED_EXPIRES = 604800; // one week

export interface Credential {
  accessKeyId: string;
  date: string; // YYYYMMDD
  region: string;
  service: string;
  terminal: string;
}

export interface ParsedV4 {
  credential: Credential;
  /** "host;x-amz-date", as sent (it goes into the canonical request verbatim) */
  signedHeaders: string;
  signedHeaderList: string[];
  signature: string;
}

export interface ParsedPresigned extends ParsedV4 {
  amzDate: string;
  timestamp: Date;
  expires: number;
}

const HEADER_PREFIX = "The authorization header is malformed; ";
const QUERY_PREFIX = "Error parsing the X-Amz-Credential parameter; ";

/** AKID/YYYYMMDD/region/service/aws4_request. `code` differs between header and query auth. */
export function parseCredential(value: string, code: "AuthorizationHeaderMalformed" | "AuthorizationQueryParametersError"): Credential {
  const parts = value.split("/");
  if (parts.length !== 5 || !parts[0] || !/^\d{8}$/.test(parts[1]!)) {
    const prefix = code === "AuthorizationHeaderMalformed" ? HEADER_PREFIX : QUERY_PREFIX;
    throw new S3Error(code, `${prefix}the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`);
  }
  const [accessKeyId, date, region, service, terminal] = parts as [string, string, string, string, string];
  return { accessKeyId, date, region, service, terminal };
}

/**
 * Checks the scope of a credential: service "s3", terminal "aws4_request", region in `allowedRegions`,
 * date equal to the request date.
 */
export function checkScope(c: Credential, allowedRegions: readonly string[], amzDate: string, code: ErrorCode): void {
  const prefix = code === "AuthorizationHeaderMalformed" ? HEADER_PREFIX : QUERY_PREFIX;
  if (c.service !== "s3") throw new S3Error(code, `${prefix}incorrect service "${c.service}". This endpoint belongs to "s3".`);
  if (c.terminal !== "aws4_request") {
    throw new S3Error(code, `${prefix}incorrect terminal "${c.terminal}". This endpoint uses "aws4_request".`);
  }
  if (!allowedRegions.includes(c.region)) {
    const expected = allowedRegions[0] ?? "us-east-1";
    throw new S3Error(code, `${prefix}the region '${c.region}' is wrong; expecting '${expected}'`, { Region: expected });
  }
  if (amzDate.slice(0, 8) !== c.date) {
    throw new S3Error(code, `${prefix}Invalid credential date. Date is not the same as X-Amz-Date.`);
  }
}

/** `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` (commas, optional spaces). */
export function parseAuthorizationV4(header: string): ParsedV4 {
  const value = header.trim();
  if (!value.startsWith(ALGORITHM + " ")) {
    throw new S3Error("AuthorizationHeaderMalformed", `${HEADER_PREFIX}the authorization type must be "${ALGORITHM}".`);
  }
  const fields = new Map<string, string>();
  for (const part of value.slice(ALGORITHM.length).split(",")) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf("=");
    if (eq <= 0) throw new S3Error("AuthorizationHeaderMalformed", `${HEADER_PREFIX}the authorization component "${p}" is malformed.`);
    fields.set(p.slice(0, eq).trim(), p.slice(eq + 1).trim());
  }
  for (const name of ["Credential", "SignedHeaders", "Signature"]) {
    if (!fields.get(name)) {
      throw new S3Error("AuthorizationHeaderMalformed", `${HEADER_PREFIX}Authorization header requires '${name}' parameter.`);
    }
  }
  const signedHeaders = fields.get("SignedHeaders")!;
  return {
    credential: parseCredential(fields.get("Credential")!, "AuthorizationHeaderMalformed"),
    signedHeaders,
    signedHeaderList: signedHeaders.split(";"),
    signature: fields.get("Signature")!,
  };
}

const REQUIRED_QUERY = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires"];

/** The X-Amz-* parameters of a presigned URL (already percent-decoded by URLSearchParams). */
export function parsePresignedQuery(params: URLSearchParams): ParsedPresigned {
  const qerr = (message: string) => new S3Error("AuthorizationQueryParametersError", message);
  if (REQUIRED_QUERY.some((n) => !params.get(n))) {
    throw qerr("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.");
  }
  if (params.get("X-Amz-Algorithm") !== ALGORITHM) throw qerr(`X-Amz-Algorithm only supports "${ALGORITHM}"`);
  const amzDate = params.get("X-Amz-Date")!;
  const timestamp = parseAmzDate(amzDate);
  if (!timestamp) throw qerr(`X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`);
  const rawExpires = params.get("X-Amz-Expires")!;
  if (!/^-?\d+$/.test(rawExpires)) throw qerr("X-Amz-Expires should be a number");
  const expires = Number(rawExpires);
  if (expires < 0) throw qerr("X-Amz-Expires must be non-negative");
  if (expires === 0) throw qerr("X-Amz-Expires must be at least 1 second");
  if (expires > MAX_PRESIGNED_EXPIRES) throw qerr(`X-Amz-Expires must be less than a week (in seconds) that is ${MAX_PRESIGNED_EXPIRES}`);
  const signedHeaders = params.get("X-Amz-SignedHeaders")!;
  return {
    credential: parseCredential(params.get("X-Amz-Credential")!, "AuthorizationQueryParametersError"),
    signedHeaders,
    signedHeaderList: signedHeaders.split(";"),
    signature: params.get("X-Amz-Signature")!,
    amzDate,
    timestamp,
    expires,
  };
}

/** "20130524T000000Z" -> Date; null when not in that exact form or not a real date. */
export function parseAmzDate(s: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return null;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, se));
  return t.getUTCMonth() === mo - 1 && t.getUTCDate() === d && h < 24 && mi < 60 && se < 60 ? t : null;
}

export function formatAmzDate(d: Date): string {
  return d.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}
