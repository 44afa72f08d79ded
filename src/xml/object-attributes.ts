/**
 * The `<GetObjectAttributesResponse>` document.
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributesParts.html
 * Only the attributes asked for are written, in S3's order (ETag, Checksum, ObjectParts,
 * StorageClass, ObjectSize). The ETag is unquoted here, unlike in headers and listings. The part
 * count is written as <PartsCount> (the SDKs call it TotalPartsCount). Parts are listed only when
 * the object has additional checksums, as S3 does for general purpose buckets.
 */
import type { ObjectAttribute } from "../logic/object-attributes";
import { renderXml } from "./xml";

export interface AttributesChecksum {
  algorithm: string;
  value: string;
  type: string;
}

export interface AttributesPart {
  partNumber: number;
  size: number;
  checksum?: string | null;
}

export interface ObjectAttributesInput {
  requested: ReadonlySet<ObjectAttribute>;
  etag: string;
  checksum: AttributesChecksum | null;
  size: number;
  storageClass: string;
  /** null for an object that was not uploaded in parts */
  parts: null | {
    totalPartsCount: number;
    partNumberMarker: number;
    nextPartNumberMarker?: number;
    maxParts: number;
    isTruncated: boolean;
    page: AttributesPart[];
    /** the upload's checksum algorithm, naming each part's Checksum<ALGO> element */
    algorithm: string | null;
  };
}

export function objectAttributesDocument(i: ObjectAttributesInput): string {
  const want = (a: ObjectAttribute) => i.requested.has(a);
  const unquoted = i.etag.replace(/^"(.*)"$/, "$1");
  const p = i.parts;
  return renderXml("GetObjectAttributesResponse", {
    ETag: want("ETag") ? unquoted : undefined,
    Checksum: want("Checksum") && i.checksum ? { [`Checksum${i.checksum.algorithm}`]: i.checksum.value, ChecksumType: i.checksum.type } : undefined,
    ObjectParts:
      want("ObjectParts") && p
        ? {
            PartsCount: p.totalPartsCount,
            PartNumberMarker: p.partNumberMarker,
            NextPartNumberMarker: p.nextPartNumberMarker,
            MaxParts: p.maxParts,
            IsTruncated: p.isTruncated,
            Part: p.algorithm
              ? p.page.map((part) => ({ PartNumber: part.partNumber, Size: part.size, [`Checksum${p.algorithm}`]: part.checksum ?? undefined }))
              : undefined,
          }
        : undefined,
    StorageClass: want("StorageClass") ? i.storageClass : undefined,
    ObjectSize: want("ObjectSize") ? i.size : undefined,
  });
}
