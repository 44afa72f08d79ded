/**
 * GetObjectAttributes request rules, pure: which attributes were asked for, and the page of parts.
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html
 * Attributes come in `x-amz-object-attributes` (comma-separated, repeated headers are joined by
 * fetch the same way). Parts page with `x-amz-max-parts` (default and cap 1000) and
 * `x-amz-part-number-marker` (parts after that number).
 */
import { S3Error } from "../errors";

export type ObjectAttribute = "ETag" | "Checksum" | "ObjectParts" | "StorageClass" | "ObjectSize";
export const OBJECT_ATTRIBUTES: readonly ObjectAttribute[] = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"];

export const MAX_ATTRIBUTE_PARTS = 1000;

export function parseObjectAttributes(headers: Headers): Set<ObjectAttribute> {
  const raw = headers.get("x-amz-object-attributes");
  const names = (raw ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (names.length === 0) {
    throw new S3Error("objectAttributesMissing", undefined, { ArgumentName: "x-amz-object-attributes", ArgumentValue: raw ?? "" });
  }
  const out = new Set<ObjectAttribute>();
  for (const n of names) {
    if (!(OBJECT_ATTRIBUTES as readonly string[]).includes(n)) {
      throw new S3Error("objectAttributeInvalid", undefined, { ArgumentName: "x-amz-object-attributes", ArgumentValue: n });
    }
    out.add(n as ObjectAttribute);
  }
  return out;
}

function nonNegativeInt(headers: Headers, name: string): number | undefined {
  const raw = headers.get(name);
  if (raw === null || raw.trim() === "") return undefined;
  if (!/^\d{1,9}$/.test(raw.trim())) {
    throw new S3Error("notAnInteger", { name }, { ArgumentName: name, ArgumentValue: raw });
  }
  return Number(raw.trim());
}

export interface PartsPage {
  maxParts: number;
  /** parts with a number above this one (0: from the start) */
  partNumberMarker: number;
}

export function parsePartsPage(headers: Headers): PartsPage {
  const max = nonNegativeInt(headers, "x-amz-max-parts");
  return {
    maxParts: Math.min(max ?? MAX_ATTRIBUTE_PARTS, MAX_ATTRIBUTE_PARTS),
    partNumberMarker: nonNegativeInt(headers, "x-amz-part-number-marker") ?? 0,
  };
}

/** The page of `parts` (sorted by number) the request asked for, and where the next one starts. */
export function pageParts<P extends { partNumber: number }>(
  parts: readonly P[],
  page: PartsPage,
): { parts: P[]; isTruncated: boolean; nextPartNumberMarker?: number } {
  const after = parts.filter((p) => p.partNumber > page.partNumberMarker);
  const chosen = after.slice(0, page.maxParts);
  const isTruncated = after.length > chosen.length;
  const last = chosen[chosen.length - 1];
  return { parts: chosen, isTruncated, nextPartNumberMarker: last ? last.partNumber : undefined };
}
