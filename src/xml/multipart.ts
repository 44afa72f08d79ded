/**
 * Documents of multipart uploads, copies and batch deletes.
 *   CreateMultipartUpload   https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html
 *   CompleteMultipartUpload https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
 *   ListParts               https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html
 *   ListMultipartUploads    https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html
 *   CopyObject / UploadPartCopy results, DeleteObjects request and result.
 */
import { S3Error } from "../errors";
import type { Owner } from "./documents";
import { s3UrlEncode } from "./documents";
import { asArray, parseXmlDocument, renderXml, xmlObject, xmlText, type XmlInput } from "./xml";

const owner = (o: Owner): XmlInput => ({ ID: o.id, DisplayName: o.displayName });

/** Checksum elements (ChecksumCRC32, ...) for an algorithm/value pair, if any. */
export function checksumElements(c: { algorithm: string; value: string; type?: string | null } | null | undefined): Record<string, XmlInput> {
  if (!c) return {};
  const out: Record<string, XmlInput> = { [`Checksum${c.algorithm.toUpperCase()}`]: c.value };
  if (c.type) out.ChecksumType = c.type;
  return out;
}

export function initiateMultipartUploadDocument(i: { bucket: string; key: string; uploadId: string }): string {
  return renderXml("InitiateMultipartUploadResult", { Bucket: i.bucket, Key: i.key, UploadId: i.uploadId });
}

export type CompletedPartInput = { partNumber: number; etag: string; checksums: Record<string, string> };

/** CompleteMultipartUpload body: the parts in the order given (order is validated by the caller). */
export function parseCompleteMultipartUpload(xml: string): CompletedPartInput[] {
  if (xml.trim() === "") throw new S3Error("MalformedXML");
  const root = xmlObject(parseXmlDocument(xml, "CompleteMultipartUpload"));
  const parts = asArray(root.Part).map((p) => {
    const o = xmlObject(p);
    const n = xmlText(o.PartNumber);
    const etag = xmlText(o.ETag);
    if (n === undefined || !/^\d+$/.test(n.trim()) || etag === undefined) throw new S3Error("MalformedXML");
    const checksums: Record<string, string> = {};
    for (const algo of ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"]) {
      const v = xmlText(o[`Checksum${algo}`]);
      if (v !== undefined) checksums[algo] = v;
    }
    return { partNumber: Number(n.trim()), etag: etag.trim(), checksums };
  });
  if (parts.length === 0) throw new S3Error("MalformedXML");
  return parts;
}

export function completeMultipartUploadDocument(i: {
  location: string;
  bucket: string;
  key: string;
  etag: string;
  checksum?: { algorithm: string; value: string; type?: string | null } | null;
}): string {
  return renderXml("CompleteMultipartUploadResult", {
    Location: i.location,
    Bucket: i.bucket,
    Key: i.key,
    ETag: i.etag,
    ...checksumElements(i.checksum),
  });
}

export function listPartsDocument(i: {
  bucket: string;
  key: string;
  uploadId: string;
  initiator: Owner;
  owner: Owner;
  storageClass: string;
  partNumberMarker: number;
  nextPartNumberMarker?: number;
  maxParts: number;
  isTruncated: boolean;
  checksumAlgorithm?: string | null;
  checksumType?: string | null;
  parts: { partNumber: number; lastModified: Date; etag: string; size: number; checksum?: { algorithm: string; value: string } | null }[];
}): string {
  return renderXml("ListPartsResult", {
    Bucket: i.bucket,
    Key: i.key,
    UploadId: i.uploadId,
    Initiator: owner(i.initiator),
    Owner: owner(i.owner),
    StorageClass: i.storageClass,
    PartNumberMarker: i.partNumberMarker,
    NextPartNumberMarker: i.nextPartNumberMarker,
    MaxParts: i.maxParts,
    IsTruncated: i.isTruncated,
    ChecksumAlgorithm: i.checksumAlgorithm ?? undefined,
    ChecksumType: i.checksumType ?? undefined,
    Part: i.parts.map((p) => ({
      PartNumber: p.partNumber,
      LastModified: p.lastModified,
      ETag: p.etag,
      Size: p.size,
      ...checksumElements(p.checksum),
    })),
  });
}

export function listMultipartUploadsDocument(i: {
  bucket: string;
  keyMarker: string;
  uploadIdMarker: string;
  nextKeyMarker?: string;
  nextUploadIdMarker?: string;
  prefix: string;
  delimiter?: string;
  maxUploads: number;
  isTruncated: boolean;
  encodingType?: "url";
  uploads: { key: string; uploadId: string; initiator: Owner; owner: Owner; storageClass: string; initiated: Date; checksumAlgorithm?: string | null }[];
  commonPrefixes: string[];
}): string {
  const enc = (s: string | undefined) => (s === undefined ? undefined : i.encodingType === "url" ? s3UrlEncode(s) : s);
  return renderXml("ListMultipartUploadsResult", {
    Bucket: i.bucket,
    KeyMarker: enc(i.keyMarker),
    UploadIdMarker: i.uploadIdMarker,
    NextKeyMarker: enc(i.nextKeyMarker),
    NextUploadIdMarker: i.nextUploadIdMarker,
    Prefix: enc(i.prefix),
    Delimiter: enc(i.delimiter),
    MaxUploads: i.maxUploads,
    IsTruncated: i.isTruncated,
    EncodingType: i.encodingType,
    Upload: i.uploads.map((u) => ({
      Key: enc(u.key),
      UploadId: u.uploadId,
      Initiator: owner(u.initiator),
      Owner: owner(u.owner),
      StorageClass: u.storageClass,
      Initiated: u.initiated,
      ChecksumAlgorithm: u.checksumAlgorithm ?? undefined,
    })),
    CommonPrefixes: i.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
  });
}

/** CopyObject's CopyObjectResult and UploadPartCopy's CopyPartResult share a shape. */
export function copyResultDocument(
  root: "CopyObjectResult" | "CopyPartResult",
  i: { etag: string; lastModified: Date; checksum?: { algorithm: string; value: string } | null },
): string {
  return renderXml(root, { ETag: i.etag, LastModified: i.lastModified, ...checksumElements(i.checksum) });
}

export type DeleteRequestEntry = { key: string; versionId?: string };

/** DeleteObjects body: at most 1000 objects (more is MalformedXML, as S3 answers). */
export function parseDeleteObjects(xml: string): { quiet: boolean; objects: DeleteRequestEntry[] } {
  const root = xmlObject(parseXmlDocument(xml, "Delete"));
  const objects = asArray(root.Object).map((o) => {
    const obj = xmlObject(o);
    const key = xmlText(obj.Key);
    if (key === undefined) throw new S3Error("MalformedXML");
    const versionId = xmlText(obj.VersionId);
    return versionId === undefined ? { key } : { key, versionId };
  });
  if (objects.length === 0 || objects.length > 1000) throw new S3Error("MalformedXML");
  const quiet = (xmlText(root.Quiet) ?? "false").trim().toLowerCase() === "true";
  return { quiet, objects };
}

export function deleteResultDocument(i: {
  deleted: { key: string; versionId?: string; deleteMarker?: boolean; deleteMarkerVersionId?: string }[];
  errors: { key: string; versionId?: string; code: string; message: string }[];
}): string {
  return renderXml("DeleteResult", {
    Deleted: i.deleted.map((d) => ({
      Key: d.key,
      VersionId: d.versionId,
      DeleteMarker: d.deleteMarker ? true : undefined,
      DeleteMarkerVersionId: d.deleteMarkerVersionId,
    })),
    Error: i.errors.map((e) => ({ Key: e.key, VersionId: e.versionId, Code: e.code, Message: e.message })),
  });
}
