import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CODES, REASONS, S3Error, type ErrorCode } from "./errors";

// The HTTP status AWS documents for each S3 code we answer (S3 API reference, "List of error codes"),
// and the admin API's own codes. A copy on purpose: a wrong status in CODES fails here.
const AWS_STATUS: Record<ErrorCode, number> = {
  AccessDenied: 403,
  NoSuchBucketPolicy: 404,
  NoSuchPublicAccessBlockConfiguration: 404,
  OwnershipControlsNotFoundError: 404,
  MalformedPolicy: 400,
  AccessControlListNotSupported: 400,
  InvalidBucketAclWithObjectOwnership: 400,
  AccessForbidden: 403,
  AuthorizationHeaderMalformed: 400,
  AuthorizationQueryParametersError: 400,
  BadDigest: 400,
  BadRequest: 400,
  BucketAlreadyExists: 409,
  BucketAlreadyOwnedByYou: 409,
  BucketNotEmpty: 409,
  ConditionalRequestConflict: 409,
  EntityTooLarge: 400,
  EntityTooSmall: 400,
  IllegalVersioningConfigurationException: 400,
  IncompleteBody: 400,
  InternalError: 500,
  InvalidAccessKeyId: 403,
  InvalidArgument: 400,
  InvalidBucketName: 400,
  InvalidBucketState: 409,
  InvalidDigest: 400,
  InvalidEncryptionAlgorithmError: 400,
  IllegalLocationConstraintException: 400,
  InvalidLocationConstraint: 400,
  PermanentRedirect: 301,
  InvalidPart: 400,
  InvalidPartOrder: 400,
  InvalidPartNumber: 416,
  InvalidPolicyDocument: 400,
  InvalidRange: 416,
  InvalidRequest: 400,
  InvalidStorageClass: 400,
  InvalidTag: 400,
  InvalidURI: 400,
  KeyTooLongError: 400,
  MalformedACLError: 400,
  MalformedPOSTRequest: 400,
  MalformedXML: 400,
  MaxMessageLengthExceeded: 400,
  MaxPostPreDataLengthExceededError: 400,
  MetadataTooLarge: 400,
  MethodNotAllowed: 405,
  MissingContentLength: 411,
  MissingSecurityHeader: 400,
  NoSuchBucket: 404,
  NoSuchCORSConfiguration: 404,
  NoSuchKey: 404,
  NoSuchTagSet: 404,
  NoSuchLifecycleConfiguration: 404,
  ReplicationConfigurationNotFoundError: 404,
  NoSuchObjectLockConfiguration: 404,
  ObjectLockConfigurationNotFoundError: 404,
  NoSuchUpload: 404,
  NoSuchVersion: 404,
  NotImplemented: 501,
  PreconditionFailed: 412,
  RequestTimeTooSkewed: 403,
  ServiceUnavailable: 503,
  SignatureDoesNotMatch: 403,
  TooManyBuckets: 400,
  TooManyVersions: 400,
  UnexpectedContent: 400,
  UnresolvableGrantByEmailAddress: 400,
  XAmzContentSHA256Mismatch: 400,
  AdminUnauthorized: 401,
  NoSuchUser: 404,
  NoSuchAccessKey: 404,
  UserAlreadyExists: 409,
  UserOwnsBuckets: 409,
  NotFound: 404,
  NoSuchDeadLetter: 404,
  NotConfigured: 503,
};

/** Every non-test source file under src/ except this catalogue, and the migrations (their triggers raise codes). */
function sources(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(join(dir, d.name)) : [join(dir, d.name)]));
  const src = walk("src").filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && !/^src[\\/]errors\.ts$/.test(f));
  return [...src, ...walk("migrations").filter((f) => f.endsWith(".sql"))].map((f) => readFileSync(f, "utf8"));
}

const text = sources().join("\n");
/** Quoted as a string literal (a throw site, a reason table such as tags.ts's) or raised by a trigger (`sos:Code`). */
const mentioned = (name: string) => new RegExp(`["'\`]${name}["'\`]|sos:${name}\\b`).test(text);

describe("error catalogue", () => {
  it.each(Object.keys(CODES) as ErrorCode[])("code %s has the status AWS documents and a message", (code) => {
    const e = new S3Error(code);
    expect(e.status).toBe(AWS_STATUS[code]);
    expect(e.code).toBe(code);
    expect(e.message).toBe(CODES[code][1]);
    expect(e.message.length).toBeGreaterThan(5);
  });

  it("gives every reason its code's status and its own message", () => {
    for (const [reason, row] of Object.entries(REASONS)) {
      expect(reason, "reasons are camelCase, codes PascalCase").toMatch(/^[a-z][A-Za-z0-9]*$/);
      expect(AWS_STATUS[row.code], reason).toBeDefined();
      if (typeof row.message === "string") {
        const e = new S3Error(reason as "keyEmpty");
        expect([e.code, e.status, e.message]).toEqual([row.code, AWS_STATUS[row.code], row.message]);
      }
    }
  });

  it("fills templates and the details a reason always carries", () => {
    const e = new S3Error("entityTooLarge", { size: 11, max: 10, limit: "the largest part" }, { Extra: "x" });
    expect(e.code).toBe("EntityTooLarge");
    expect(e.status).toBe(400);
    expect(e.message).toBe("Your proposed upload exceeds the maximum allowed size: 11 bytes is more than the largest part of 10 bytes.");
    expect(e.details).toEqual({ ProposedSize: 11, MaxSizeAllowed: 10, Extra: "x" });
    const range = new S3Error("InvalidRange", undefined, { ActualObjectSize: 3 }, { "Content-Range": "bytes */3" });
    expect(range.headers).toEqual({ "Content-Range": "bytes */3" });
    expect(new S3Error("bucketQuota", { maxBuckets: 1 }).message).toMatch(/quota is 1 bucket \(/);
  });

  it("has no row that nothing uses", () => {
    const usedReasons = Object.keys(REASONS).filter(mentioned);
    expect(Object.keys(REASONS).filter((r) => !usedReasons.includes(r))).toEqual([]);
    const bases = new Set<ErrorCode>(usedReasons.map((r) => REASONS[r as keyof typeof REASONS].code));
    expect(Object.keys(CODES).filter((c) => !mentioned(c) && !bases.has(c as ErrorCode))).toEqual([]);
  });

  it("has a row for every reason thrown and every code a trigger raises", () => {
    const known = new Set<string>([...Object.keys(CODES), ...Object.keys(REASONS)]);
    const thrown = [...text.matchAll(/new S3Error\(\s*"([A-Za-z0-9]+)"|\bfail\(\s*"([A-Za-z0-9]+)"|sos:([A-Za-z]+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
    expect(thrown.length).toBeGreaterThan(100);
    expect([...new Set(thrown)].filter((r) => !known.has(r))).toEqual([]);
  });

  it("keeps message text out of throw sites", () => {
    // A second argument that is a string literal would be inline message text (TypeScript also refuses it).
    expect(text.match(/new S3Error\(\s*"[A-Za-z0-9]+",\s*["`]/g) ?? []).toEqual([]);
  });
});
