/**
 * Bucket and object names.
 *   Bucket rules: AWS S3 User Guide, "General purpose bucket naming rules"
 *     https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 *   Key rules: AWS S3 User Guide, "Naming Amazon S3 objects"
 *     https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html
 *     ("a sequence of Unicode characters encoded in UTF-8, with a maximum length of 1,024 bytes")
 */
import { S3Error } from "../errors";

export const MAX_KEY_BYTES = 1024;

const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IPV4_LIKE_RE = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const RESERVED_PREFIXES = ["xn--", "sthree-", "amzn-s3-demo-"]; // "sthree-configurator" is covered by "sthree-"
const RESERVED_SUFFIXES = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/** True when `name` satisfies every general-purpose bucket naming rule. */
export function isValidBucketName(name: string): boolean {
  return (
    BUCKET_RE.test(name) &&
    !name.includes("..") &&
    !IPV4_LIKE_RE.test(name) &&
    !RESERVED_PREFIXES.some((p) => name.startsWith(p)) &&
    !RESERVED_SUFFIXES.some((s) => name.endsWith(s))
  );
}

/** Throws InvalidBucketName (with <BucketName>) unless the name is valid. */
export function validateBucketName(name: string): void {
  if (!isValidBucketName(name)) throw new S3Error("InvalidBucketName", undefined, { BucketName: name });
}

/** Number of bytes in the UTF-8 encoding of `s` (lone surrogates count as U+FFFD, 3 bytes). */
export function utf8ByteLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

const LONE_SURROGATE_RE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** True when the string is valid Unicode (so it has a UTF-8 encoding). */
export function isWellFormedUnicode(s: string): boolean {
  return !LONE_SURROGATE_RE.test(s);
}

/**
 * Object keys: non-empty, valid UTF-8, at most 1024 bytes. Any character is allowed, control
 * characters included. Too long -> KeyTooLongError with <Size> and <MaxSizeAllowed>, as S3.
 */
export function validateObjectKey(key: string): void {
  if (key.length === 0) throw new S3Error("InvalidArgument", "Object key must not be empty.");
  if (!isWellFormedUnicode(key)) throw new S3Error("InvalidArgument", "Object key must be valid UTF-8.");
  const size = utf8ByteLength(key);
  if (size > MAX_KEY_BYTES) {
    throw new S3Error("KeyTooLongError", undefined, { Size: size, MaxSizeAllowed: MAX_KEY_BYTES });
  }
}
