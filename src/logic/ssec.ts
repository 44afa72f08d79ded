/**
 * SSE-C (server-side encryption with customer-provided keys), after Garage's EncryptionParams
 * (src/api/s3/encryption.rs): the request's key headers become a value, then pure checks decide.
 * The key itself only ever travels to R2 (`ssecKey`); D1 keeps its MD5 to answer the right errors.
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerSideEncryptionCustomerKeys.html
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-s3-c-encryption.html
 * Error codes and messages are those S3 answers for each misuse.
 */
import { S3Error } from "../errors";
import { fromBase64, toBase64 } from "./encoding";

export type SsecKey = {
  /** base64 of the 256-bit key, exactly as sent: handed to R2, never stored */
  keyBase64: string;
  /** base64 MD5 of the key bytes: what D1 keeps and responses echo */
  keyMd5: string;
};

export type SsecHeaders = "target" | "copy-source";

const PREFIX: Record<SsecHeaders, string> = {
  target: "x-amz-server-side-encryption-customer-",
  "copy-source": "x-amz-copy-source-server-side-encryption-customer-",
};

export const SSEC_ALGORITHM = "AES256";

type SsecArgumentReason = "ssecAlgorithmMissing" | "ssecKeyMissing" | "ssecKeyInvalid" | "ssecKeyMd5Missing" | "ssecKeyMd5Mismatch";

export type Md5 = (bytes: Uint8Array) => Promise<Uint8Array>;

/** workerd's crypto.subtle knows MD5; Node's does not, so unit tests pass their own. */
const subtleMd5: Md5 = async (bytes) => new Uint8Array(await crypto.subtle.digest("MD5", bytes as Uint8Array<ArrayBuffer>));

export type SsecOptions = {
  /** the request came over HTTPS */
  secure: boolean;
  /** refuse SSE-C headers on plain HTTP (SOS_REQUIRE_HTTPS_FOR_SSEC) */
  requireSecure: boolean;
  md5?: Md5;
};

/**
 * The SSE-C triple of a request (`target`: the object written or read; `copy-source`: a copy's
 * source), validated; null when none of its three headers is present.
 */
export async function parseSsec(headers: Headers, which: SsecHeaders, opts: SsecOptions): Promise<SsecKey | null> {
  const p = PREFIX[which];
  const algorithm = headers.get(p + "algorithm");
  const key = headers.get(p + "key");
  const md5 = headers.get(p + "key-md5");
  if (algorithm === null && key === null && md5 === null) return null;
  if (opts.requireSecure && !opts.secure) throw new S3Error("ssecInsecure");
  const arg = (name: string, reason: SsecArgumentReason) => new S3Error(reason, undefined, { ArgumentName: p + name });
  if (algorithm === null || algorithm.trim() === "") throw arg("algorithm", "ssecAlgorithmMissing");
  if (algorithm.trim() !== SSEC_ALGORITHM) {
    throw new S3Error("InvalidEncryptionAlgorithmError", undefined, { ArgumentName: p + "algorithm", ArgumentValue: algorithm });
  }
  if (key === null || key.trim() === "") throw arg("key", "ssecKeyMissing");
  const keyBytes = fromBase64(key.trim());
  if (keyBytes?.length !== 32) throw arg("key", "ssecKeyInvalid");
  if (md5 === null || md5.trim() === "") throw arg("key-MD5", "ssecKeyMd5Missing");
  const actual = toBase64(await (opts.md5 ?? subtleMd5)(keyBytes));
  if (actual !== md5.trim()) throw arg("key-MD5", "ssecKeyMd5Mismatch");
  return { keyBase64: key.trim(), keyMd5: actual };
}

/** x-amz-server-side-encryption (SSE-S3) and SSE-C name two different encryptions: S3 refuses both at once. */
export function checkSingleEncryption(headers: Headers, ssec: SsecKey | null): void {
  if (ssec && headers.has("x-amz-server-side-encryption")) {
    throw new S3Error("ssecWithOtherEncryption", undefined, {
      ArgumentName: "x-amz-server-side-encryption",
      ArgumentValue: headers.get("x-amz-server-side-encryption")!,
    });
  }
}

/**
 * Reading a stored object (GET, HEAD, a copy's source): the key given must be the one it was
 * written with. No key for an encrypted object is InvalidRequest (400), a wrong key AccessDenied (403).
 */
export function checkReadKey(storedKeyMd5: string | null, given: SsecKey | null): void {
  if (storedKeyMd5 !== null && given === null) {
    throw new S3Error("ssecRequired");
  }
  if (storedKeyMd5 === null && given !== null) throw new S3Error("ssecNotApplicable");
  if (storedKeyMd5 !== null && given !== null && storedKeyMd5 !== given.keyMd5) throw new S3Error("AccessDenied");
}

/** UploadPart / UploadPartCopy: every part carries the key the upload was created with. */
export function checkPartKey(uploadKeyMd5: string | null, given: SsecKey | null): void {
  if (uploadKeyMd5 !== null && given === null) {
    throw new S3Error("ssecUploadRequiresKey");
  }
  if ((given?.keyMd5 ?? null) !== uploadKeyMd5) throw new S3Error("ssecUploadKeyMismatch");
}

/** Response headers confirming SSE-C (PUT, GET, HEAD, copies, multipart). */
export function ssecResponseHeaders(keyMd5: string | null): Record<string, string> {
  if (keyMd5 === null) return {};
  return {
    "x-amz-server-side-encryption-customer-algorithm": SSEC_ALGORITHM,
    "x-amz-server-side-encryption-customer-key-MD5": keyMd5,
  };
}
