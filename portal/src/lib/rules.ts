/**
 * Input rules the portal explains as the user types, the same rules the server enforces
 * (docs/capacity-and-limits.md): bucket names (shared with the Worker), tags, metadata.
 */
import type { Tag } from "./xml";
export { bucketNameProblem } from "../../../src/logic/bucket-name-rules";

export const MAX_OBJECT_TAGS = 10;
export const MAX_BUCKET_TAGS = 50;
export const USER_METADATA_MAX_BYTES = 2048;
/** The system headers the metadata editor offers, as S3 stores and returns them. */
export const SYSTEM_HEADERS = ["Content-Type", "Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires"] as const;

const utf8 = (s: string) => new TextEncoder().encode(s).length;

/** Problems with a tag set (S3 User Guide, "Categorizing your storage using tags"); empty when valid. */
export function tagProblems(tags: Tag[], max: number): string[] {
  const problems: string[] = [];
  if (tags.length > max) problems.push(`At most ${max} tags are allowed (there are ${tags.length}).`);
  const seen = new Set<string>();
  tags.forEach((t, i) => {
    const n = `Tag ${i + 1}`;
    if (!t.key) problems.push(`${n}: the key is empty.`);
    if (t.key.length > 128) problems.push(`${n}: the key is longer than 128 characters.`);
    if (t.value.length > 256) problems.push(`${n}: the value is longer than 256 characters.`);
    if (t.key.toLowerCase().startsWith("aws:")) problems.push(`${n}: keys starting with "aws:" are reserved.`);
    if (seen.has(t.key)) problems.push(`${n}: the key "${t.key}" is used twice.`);
    seen.add(t.key);
  });
  return problems;
}

/** Problems with user metadata (names after "x-amz-meta-"); empty when valid. */
export function metadataProblems(meta: Tag[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  let bytes = 0;
  for (const { key, value } of meta) {
    const name = key.toLowerCase();
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) problems.push(`"${key}" is not a valid header name (letters, digits and -_.!#$%&'*+^\`|~ only).`);
    if (seen.has(name)) problems.push(`"${key}" is used twice (names are not case-sensitive).`);
    if (/[\r\n]/.test(value) || /[^\t\x20-\x7e]/.test(value)) problems.push(`The value of "${key}" must be printable ASCII on one line.`);
    seen.add(name);
    bytes += utf8(name) + utf8(value);
  }
  if (bytes > USER_METADATA_MAX_BYTES) problems.push(`User metadata is ${bytes} bytes; at most ${USER_METADATA_MAX_BYTES} are allowed.`);
  return problems;
}

const TRANSPORT_CODINGS = new Set(["gzip", "br", "deflate", "zstd"]);

/** The system headers to save: all but a Content-Encoding that may only be the transport's compression (left unchanged). */
export function metadataToSend(edited: Record<string, string>, loaded: Record<string, string>): Record<string, string> {
  const out = { ...edited };
  const enc = out["Content-Encoding"];
  if (enc !== undefined && enc === loaded["Content-Encoding"] && TRANSPORT_CODINGS.has(enc.trim().toLowerCase())) delete out["Content-Encoding"];
  return out;
}

/** Human-readable byte count (binary units). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = -1;
  do {
    v /= 1024;
    u++;
  } while (v >= 1024 && u < units.length - 1);
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** The key of a path segment in a listing: "photos/2024/" under prefix "photos/" shows as "2024/". */
export function relativeName(key: string, prefix: string): string {
  return key.startsWith(prefix) ? key.slice(prefix.length) : key;
}

/** Multipart part size for a file: at least `preferred`, and large enough to stay within 10,000 parts. */
export function partSizeFor(size: number, preferred: number): number {
  const MiB = 1024 * 1024;
  return Math.max(preferred, 5 * MiB, Math.ceil(size / 10000 / MiB) * MiB);
}
