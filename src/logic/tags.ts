/**
 * Tag sets of objects and buckets: read from the `x-amz-tagging` header (URL query form) or from a
 * parsed `<Tagging>` document, validated by S3's rules, and stored in D1 as JSON.
 *   Object tags  https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html
 *   Bucket tags  https://docs.aws.amazon.com/AmazonS3/latest/userguide/CostAllocTagging.html
 *   Tag          https://docs.aws.amazon.com/AmazonS3/latest/API/API_Tag.html
 *
 * Rules (AWS answers in parentheses):
 * - at most 10 tags on an object (BadRequest "Object tags cannot be greater than 10"), 50 on a
 *   bucket (BadRequest "Bucket tag count cannot be greater than 50");
 * - keys 1..128 and values 0..256 characters, counted in UTF-16 code units as S3 does ("Amazon S3
 *   object tags are internally represented in UTF-16") (InvalidTag);
 * - characters: Unicode letters, digits, white space and `_ . : / = + - @`, the pattern
 *   `^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$` of the API reference (InvalidTag);
 * - keys unique (InvalidTag in a document; InvalidArgument in the header, as S3 words it);
 * - the `aws:` prefix is reserved for system tags (InvalidTag).
 * Tags keep the order the client gave.
 */
import { S3Error } from "../errors";

export type Tag = { key: string; value: string };
export type TagSet = Tag[];
export type TagTarget = "object" | "bucket";

export const MAX_TAGS: Record<TagTarget, number> = { object: 10, bucket: 50 };
export const MAX_TAG_KEY_LENGTH = 128;
export const MAX_TAG_VALUE_LENGTH = 256;

const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

const TOO_MANY = {
  object: "objectTagsTooMany",
  bucket: "bucketTagsTooMany",
} as const;
const RESERVED_PREFIX = {
  object: "objectTagReservedPrefix",
  bucket: "bucketTagReservedPrefix",
} as const;

/** Checks a tag set against S3's limits; returns it unchanged. */
export function validateTagSet(tags: TagSet, target: TagTarget): TagSet {
  if (tags.length > MAX_TAGS[target]) throw new S3Error(TOO_MANY[target]);
  const seen = new Set<string>();
  for (const { key, value } of tags) {
    if (key.length === 0 || !TAG_CHARACTERS.test(key)) throw new S3Error("tagKeyInvalid");
    if (key.length > MAX_TAG_KEY_LENGTH) throw new S3Error("tagKeyTooLong", { max: MAX_TAG_KEY_LENGTH });
    if (!TAG_CHARACTERS.test(value)) throw new S3Error("tagValueInvalid");
    if (value.length > MAX_TAG_VALUE_LENGTH) throw new S3Error("tagValueTooLong", { max: MAX_TAG_VALUE_LENGTH });
    if (key.toLowerCase().startsWith("aws:")) throw new S3Error(RESERVED_PREFIX[target]);
    if (seen.has(key)) throw new S3Error("tagKeyDuplicate");
    seen.add(key);
  }
  return tags;
}

function formDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    throw new S3Error("taggingHeaderInvalid", undefined, { ArgumentName: "x-amz-tagging", ArgumentValue: s });
  }
}

/**
 * `x-amz-tagging: k1=v1&k2=v2` (application/x-www-form-urlencoded: `+` is a space). A name
 * without `=` has the empty value; empty segments are skipped. Duplicate names, or a pair with
 * a second literal `=`, are InvalidArgument as on S3. The result is validated for objects.
 */
export function parseTaggingHeader(header: string): TagSet {
  const tags: TagSet = [];
  const seen = new Set<string>();
  for (const segment of header.split("&")) {
    if (segment === "") continue;
    const eq = segment.indexOf("=");
    const rawKey = eq < 0 ? segment : segment.slice(0, eq);
    const rawValue = eq < 0 ? "" : segment.slice(eq + 1);
    if (rawValue.includes("=")) throw new S3Error("taggingHeaderInvalid", undefined, { ArgumentName: "x-amz-tagging", ArgumentValue: header });
    const key = formDecode(rawKey);
    if (seen.has(key)) throw new S3Error("taggingHeaderInvalid", undefined, { ArgumentName: "x-amz-tagging", ArgumentValue: header });
    seen.add(key);
    tags.push({ key, value: formDecode(rawValue) });
  }
  return validateTagSet(tags, "object");
}

/** D1 form: JSON `[[key, value], ...]`, or null for no tags. */
export function serializeTags(tags: TagSet): string | null {
  return tags.length === 0 ? null : JSON.stringify(tags.map((t) => [t.key, t.value]));
}

export function deserializeTags(stored: string | null): TagSet {
  if (stored === null || stored === "") return [];
  return (JSON.parse(stored) as [string, string][]).map(([key, value]) => ({ key, value }));
}

/** The `tags` / `tagCount` columns of an object version for a tag set. */
export function storedTags(tags: TagSet): { tags: string | null; tagCount: number } {
  return { tags: serializeTags(tags), tagCount: tags.length };
}

/** The tag set of a write's `x-amz-tagging` header (PutObject, CreateMultipartUpload, CopyObject REPLACE). */
export function tagsFromHeader(headers: Headers): TagSet {
  const header = headers.get("x-amz-tagging");
  return header === null ? [] : parseTaggingHeader(header);
}

/** An object version's `tags` and `tagCount` for the `x-amz-tagging` header of a write. */
export function taggingFromHeader(headers: Headers): { tags: TagSet; tagCount: number } {
  const tags = tagsFromHeader(headers);
  return { tags, tagCount: tags.length };
}

/** The D1 columns for the `x-amz-tagging` header of a write. */
export function storedTagsFromHeader(headers: Headers): { tags: string | null; tagCount: number } {
  return storedTags(tagsFromHeader(headers));
}
