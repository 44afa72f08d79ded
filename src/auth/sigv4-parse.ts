/**
 * Parsing of SigV4 credentials: the Authorization header and the presigned-URL query parameters.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-auth-using-authorization-header.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
 * Error codes and messages follow what S3 answers for each malformation.
 */
import { S3Error } from "../errors";

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

/** The reasons of a bad credential, by where it came from (header and query auth differ in code and message). */
const CREDENTIAL_REASONS = {
  AuthorizationHeaderMalformed: {
    malformed: "headerCredentialMalformed",
    service: "headerCredentialService",
    terminal: "headerCredentialTerminal",
    region: "headerCredentialRegion",
    date: "headerCredentialDate",
  },
  AuthorizationQueryParametersError: {
    malformed: "queryCredentialMalformed",
    service: "queryCredentialService",
    terminal: "queryCredentialTerminal",
    region: "queryCredentialRegion",
    date: "queryCredentialDate",
  },
} as const;
export type CredentialCode = keyof typeof CREDENTIAL_REASONS;

/** The region a SigV4 request was signed for, and where its credential came from (the error code that names a wrong one). */
export type SigningRegion = { region: string; code: CredentialCode };

/** The error for a credential scope signed for `region` where `expected` was due (S3 names the expected region in <Region>). */
export function wrongRegionError(signing: SigningRegion, expected: string): S3Error {
  return new S3Error(CREDENTIAL_REASONS[signing.code].region, { region: signing.region, expected });
}

/** AKID/YYYYMMDD/region/service/aws4_request. `code` differs between header and query auth. */
export function parseCredential(value: string, code: CredentialCode): Credential {
  const parts = value.split("/");
  if (parts.length !== 5 || !parts[0] || !/^\d{8}$/.test(parts[1]!)) {
    throw new S3Error(CREDENTIAL_REASONS[code].malformed);
  }
  const [accessKeyId, date, region, service, terminal] = parts as [string, string, string, string, string];
  return { accessKeyId, date, region, service, terminal };
}

/**
 * Checks the scope of a credential: service "s3", terminal "aws4_request", region in `allowedRegions`
 * ("any": the caller checks the region once it knows the bucket's zone), date equal to the request date.
 */
export function checkScope(c: Credential, allowedRegions: readonly string[] | "any", amzDate: string, code: CredentialCode): void {
  const reasons = CREDENTIAL_REASONS[code];
  if (c.service !== "s3") throw new S3Error(reasons.service, { service: c.service });
  if (c.terminal !== "aws4_request") {
    throw new S3Error(reasons.terminal, { terminal: c.terminal });
  }
  if (allowedRegions !== "any" && !allowedRegions.includes(c.region)) {
    throw wrongRegionError({ region: c.region, code }, allowedRegions[0] ?? "us-east-1");
  }
  if (amzDate.slice(0, 8) !== c.date) {
    throw new S3Error(reasons.date);
  }
}

/** `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` (commas, optional spaces). */
export function parseAuthorizationV4(header: string): ParsedV4 {
  const value = header.trim();
  if (!value.startsWith(ALGORITHM + " ")) {
    throw new S3Error("authHeaderType");
  }
  const fields = new Map<string, string>();
  for (const part of value.slice(ALGORITHM.length).split(",")) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf("=");
    if (eq <= 0) throw new S3Error("authHeaderComponent");
    fields.set(p.slice(0, eq).trim(), p.slice(eq + 1).trim());
  }
  for (const name of ["Credential", "SignedHeaders", "Signature"]) {
    if (!fields.get(name)) {
      throw new S3Error("authHeaderParameterMissing", { name });
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
  if (REQUIRED_QUERY.some((n) => !params.get(n))) {
    throw new S3Error("presignedParametersMissing");
  }
  if (params.get("X-Amz-Algorithm") !== ALGORITHM) throw new S3Error("presignedAlgorithm");
  const amzDate = params.get("X-Amz-Date")!;
  const timestamp = parseAmzDate(amzDate);
  if (!timestamp) throw new S3Error("presignedDate");
  const rawExpires = params.get("X-Amz-Expires")!;
  if (!/^-?\d+$/.test(rawExpires)) throw new S3Error("presignedExpiresNotNumber");
  const expires = Number(rawExpires);
  if (expires < 0) throw new S3Error("presignedExpiresNegative");
  if (expires === 0) throw new S3Error("presignedExpiresZero");
  if (expires > MAX_PRESIGNED_EXPIRES) throw new S3Error("presignedExpiresTooLong", { max: MAX_PRESIGNED_EXPIRES });
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
  return d
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}
