/**
 * Versioning documents.
 *   GetBucketVersioning https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketVersioning.html
 *   PutBucketVersioning https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketVersioning.html
 *   ListObjectVersions  https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html
 */
import { S3Error } from "../errors";
import { s3UrlEncode, type Owner } from "./documents";
import { isoTimestamp, parseXmlDocument, renderXml, xmlEscape, xmlFragment, xmlObject, xmlText } from "./xml";

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
  // Each entry by one template (what the generic writer would write, a few times faster: a page
  // holds up to 1000 of them).
  let entries = "";
  for (const e of i.entries) {
    const common =
      `<Key>${xmlEscape(enc(e.key)!)}</Key><VersionId>${xmlEscape(e.versionId)}</VersionId><IsLatest>${e.isLatest}</IsLatest>` +
      `<LastModified>${isoTimestamp(e.lastModified.getTime())}</LastModified>`;
    const owner = `<Owner><ID>${xmlEscape(e.owner.id)}</ID><DisplayName>${xmlEscape(e.owner.displayName)}</DisplayName></Owner>`;
    if (e.deleteMarker) {
      entries += `<DeleteMarker>${common}${owner}</DeleteMarker>`;
      continue;
    }
    const algorithm = e.checksumAlgorithm ? `<ChecksumAlgorithm>${xmlEscape(e.checksumAlgorithm)}</ChecksumAlgorithm>` : "";
    const type = e.checksumType ? `<ChecksumType>${xmlEscape(e.checksumType)}</ChecksumType>` : "";
    entries +=
      `<Version>${common}<ETag>${xmlEscape(e.etag)}</ETag>${algorithm}${type}<Size>${e.size}</Size>` +
      `<StorageClass>${xmlEscape(e.storageClass)}</StorageClass>${owner}</Version>`;
  }
  const prefixes = i.commonPrefixes.map((p) => xmlFragment("CommonPrefixes", { Prefix: enc(p) }));
  return head.slice(0, head.length - close.length) + entries + prefixes.join("") + close;
}
