/**
 * Versioning documents.
 *   GetBucketVersioning https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketVersioning.html
 *   PutBucketVersioning https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketVersioning.html
 *   ListObjectVersions  https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html
 */
import { S3Error } from "../errors";
import { s3UrlEncode, type Owner } from "./documents";
import { parseXmlDocument, renderXml, XML_DECLARATION, xmlObject, xmlText, type XmlInput } from "./xml";

export type VersioningStatus = "Enabled" | "Suspended";

/** `<VersioningConfiguration/>` for a bucket that was never versioned, else its Status. MfaDelete is never configured. */
export function versioningDocument(status: VersioningStatus | null): string {
  return renderXml("VersioningConfiguration", { Status: status ?? undefined });
}

/**
 * PutBucketVersioning body. As S3 answers: no Status (or an empty one) is
 * IllegalVersioningConfigurationException "The Versioning element must be specified"; a Status or
 * MfaDelete outside the schema's values is MalformedXML.
 */
export function parseVersioningConfiguration(xml: string): { status: VersioningStatus; mfaDelete?: "Enabled" | "Disabled" } {
  if (xml.trim() === "") throw new S3Error("MalformedXML");
  const root = xmlObject(parseXmlDocument(xml, "VersioningConfiguration"));
  const status = xmlText(root.Status);
  const mfaDelete = xmlText(root.MfaDelete);
  if (mfaDelete !== undefined && mfaDelete !== "Enabled" && mfaDelete !== "Disabled") throw new S3Error("MalformedXML");
  if (status === undefined || status === "") throw new S3Error("versioningStatusMissing");
  if (status !== "Enabled" && status !== "Suspended") throw new S3Error("MalformedXML");
  return mfaDelete === undefined ? { status } : { status, mfaDelete };
}

export type VersionEntry = {
  key: string;
  versionId: string;
  isLatest: boolean;
  lastModified: Date;
  owner: Owner;
} & (
  | { deleteMarker: true }
  | { deleteMarker: false; etag: string; size: number; storageClass: string; checksumAlgorithm?: string | null; checksumType?: string | null }
);

export interface ListVersionsInput {
  name: string;
  prefix: string;
  keyMarker: string;
  versionIdMarker: string;
  nextKeyMarker?: string;
  nextVersionIdMarker?: string;
  maxKeys: number;
  delimiter?: string;
  isTruncated: boolean;
  encodingType?: "url";
  /** Versions and delete markers, interleaved in listing order as S3 writes them. */
  entries: VersionEntry[];
  commonPrefixes: string[];
}

/** One element without the XML declaration, to splice into a document in order. */
function fragment(name: string, body: Record<string, XmlInput>): string {
  return renderXml(name, body, { xmlns: false }).slice(XML_DECLARATION.length);
}

/**
 * ListVersionsResult. Encoded with encoding-type=url: KeyMarker, NextKeyMarker, Prefix, Delimiter
 * and Key (never version ids). Version and DeleteMarker elements are interleaved in listing order.
 */
export function listVersionsDocument(i: ListVersionsInput): string {
  const enc = (s: string | undefined) => (s === undefined ? undefined : i.encodingType === "url" ? s3UrlEncode(s) : s);
  const head = renderXml("ListVersionsResult", {
    Name: i.name,
    Prefix: enc(i.prefix),
    KeyMarker: enc(i.keyMarker),
    VersionIdMarker: i.versionIdMarker,
    NextKeyMarker: enc(i.nextKeyMarker),
    NextVersionIdMarker: i.nextVersionIdMarker,
    MaxKeys: i.maxKeys,
    Delimiter: enc(i.delimiter),
    EncodingType: i.encodingType,
    IsTruncated: i.isTruncated,
  });
  const close = "</ListVersionsResult>";
  const entries = i.entries.map((e) => {
    const owner = { ID: e.owner.id, DisplayName: e.owner.displayName };
    const common = { Key: enc(e.key), VersionId: e.versionId, IsLatest: e.isLatest, LastModified: e.lastModified };
    if (e.deleteMarker) return fragment("DeleteMarker", { ...common, Owner: owner });
    return fragment("Version", {
      ...common,
      ETag: e.etag,
      ChecksumAlgorithm: e.checksumAlgorithm ?? undefined,
      ChecksumType: e.checksumType ?? undefined,
      Size: e.size,
      StorageClass: e.storageClass,
      Owner: owner,
    });
  });
  const prefixes = i.commonPrefixes.map((p) => fragment("CommonPrefixes", { Prefix: enc(p) }));
  return head.slice(0, head.length - close.length) + entries.join("") + prefixes.join("") + close;
}
