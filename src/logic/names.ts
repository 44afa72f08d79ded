/**
 * Bucket and object names.
 *   Bucket rules: AWS S3 User Guide, "General purpose bucket naming rules"
 *     https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 *   Key rules: AWS S3 User Guide, "Naming Amazon S3 objects"
 *     https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html
 *     ("a sequence of Unicode characters encoded in UTF-8, with a maximum length of 1,024 bytes")
 */
import { S3Error } from "../errors";
import { bucketNameProblem } from "./bucket-name-rules";

export { bucketNameProblem };

export const MAX_KEY_BYTES = 1024;

export function isValidBucketName(name: string): boolean {
  return bucketNameProblem(name) === null;
}

/** Throws InvalidBucketName (with <BucketName>, the message saying which rule failed) unless the name is valid. */
export function validateBucketName(name: string): void {
  const problem = bucketNameProblem(name);
  if (problem) throw new S3Error("bucketNameInvalid", { problem }, { BucketName: name });
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
  if (key.length === 0) throw new S3Error("keyEmpty");
  if (!isWellFormedUnicode(key)) throw new S3Error("keyNotUtf8");
  const size = utf8ByteLength(key);
  if (size > MAX_KEY_BYTES) {
    throw new S3Error("KeyTooLongError", undefined, { Size: size, MaxSizeAllowed: MAX_KEY_BYTES });
  }
}
