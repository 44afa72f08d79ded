/**
 * Typed S3 XML documents: pure builders (`…Document`) and request parsers (`parse…`), in the
 * style of MinIO cmd/api-response.go, each pinned by golden strings in documents.test.ts.
 * Element names and order follow the AWS S3 API Reference response syntax of each operation:
 *   Error responses   https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 *   ListBuckets       https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html
 *   GetBucketLocation https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html
 *   CreateBucket      https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html
 *   ListObjects       https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html
 *   ListObjectsV2     https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 * New documents (multipart, versioning, ACL, tagging, CORS, DeleteObjects) go in new sections
 * below, or in sibling files of src/xml/ once this one grows past a few hundred lines.
 */
import type { ErrorDetails } from "../errors";
import { isoTimestamp, parseXmlDocument, RawXml, renderXml, xmlEscape, xmlFragment, xmlObject, xmlText, type XmlInput } from "./xml";

export interface Owner {
  id: string;
  displayName: string;
}

function ownerElement(o: Owner): XmlInput {
  return { ID: o.id, DisplayName: o.displayName };
}

// ---------------------------------------------------------------------------------------------
// Errors

export interface ErrorDocumentInput {
  code: string;
  message: string;
  requestId: string;
  hostId?: string;
  resource?: string;
  /** Extra elements (BucketName, Key, RangeRequested, ...) in insertion order. */
  details?: ErrorDetails;
}

const ERROR_RESERVED = new Set(["Code", "Message", "Resource", "RequestId", "HostId"]);

/** `<Error>` with no namespace, as S3 sends it: Code, Message, details, Resource, RequestId, HostId. */
export function errorDocument(e: ErrorDocumentInput): string {
  const body: Record<string, XmlInput> = { Code: e.code, Message: e.message };
  for (const [k, v] of Object.entries(e.details ?? {})) if (!ERROR_RESERVED.has(k)) body[k] = v;
  body.Resource = e.resource;
  body.RequestId = e.requestId;
  body.HostId = e.hostId;
  return renderXml("Error", body, { xmlns: false });
}

// ---------------------------------------------------------------------------------------------
// Service and bucket

export interface BucketEntry {
  name: string;
  creationDate: Date;
  region?: string;
}

export interface ListBucketsInput {
  owner: Owner;
  buckets: BucketEntry[];
  continuationToken?: string;
  prefix?: string;
}

export function listBucketsDocument(input: ListBucketsInput): string {
  return renderXml("ListAllMyBucketsResult", {
    Owner: ownerElement(input.owner),
    Buckets: {
      Bucket: input.buckets.map((b) => ({ Name: b.name, CreationDate: b.creationDate, BucketRegion: b.region })),
    },
    ContinuationToken: input.continuationToken,
    Prefix: input.prefix,
  });
}

/** GetBucketLocation: the zone as the element's text (empty for the default region). */
export function locationDocument(zone: string): string {
  return renderXml("LocationConstraint", { "#text": zone });
}

/** GetBucketRequestPayment: who pays for requests and transfer. */
export function requestPaymentDocument(payer: "BucketOwner" | "Requester"): string {
  return renderXml("RequestPaymentConfiguration", { Payer: payer });
}

/**
 * CreateBucket request body. An empty (or whitespace-only) body is allowed and means "default
 * zone"; an empty <LocationConstraint/> is reported as absent. Other elements (Location, Bucket:
 * directory-bucket fields) are ignored.
 */
export function parseCreateBucketConfiguration(xml: string): { locationConstraint?: string } {
  if (xml.trim() === "") return {};
  const root = xmlObject(parseXmlDocument(xml, "CreateBucketConfiguration"));
  const lc = xmlText(root.LocationConstraint);
  return lc ? { locationConstraint: lc } : {};
}

// ---------------------------------------------------------------------------------------------
// Listing objects

/**
 * `encoding-type=url` encoding. S3 form-encodes (space -> "+") the UTF-8 bytes of the value,
 * leaving A-Z a-z 0-9 - _ . / * as is: the same set as MinIO's s3URLEncode (cmd/api-utils.go),
 * and the inverse of botocore's decode_list_object, which applies unquote_plus to Key, Prefix,
 * Delimiter, Marker, NextMarker and StartAfter (botocore/handlers.py, compat.unquote_str).
 */
export function s3UrlEncode(s: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(s)) {
    if (
      (b >= 0x30 && b <= 0x39) ||
      (b >= 0x41 && b <= 0x5a) ||
      (b >= 0x61 && b <= 0x7a) ||
      b === 0x2d ||
      b === 0x5f ||
      b === 0x2e ||
      b === 0x2f ||
      b === 0x2a
    ) {
      out += String.fromCharCode(b);
    } else if (b === 0x20) {
      out += "+";
    } else {
      out += "%" + b.toString(16).toUpperCase().padStart(2, "0");
    }
  }
  return out;
}

export interface ListEntry {
  key: string;
  lastModified: Date;
  /** Already quoted, e.g. "\"abc\"" (rendered as &quot;abc&quot;, as S3 does). */
  etag: string;
  size: number;
  storageClass: string;
  owner?: Owner;
  checksumAlgorithm?: string[];
}

interface ListCommon {
  name: string;
  prefix: string;
  delimiter?: string;
  maxKeys: number;
  encodingType?: "url";
  isTruncated: boolean;
  contents: ListEntry[];
  commonPrefixes: string[];
}

export interface ListObjectsV1Input extends ListCommon {
  marker: string;
  /** Only sent by S3 when a delimiter was given and the result is truncated. */
  nextMarker?: string;
}

export interface ListObjectsV2Input extends ListCommon {
  keyCount: number;
  continuationToken?: string;
  nextContinuationToken?: string;
  startAfter?: string;
}

function encoder(encodingType: "url" | undefined): (s: string | undefined) => string | undefined {
  return encodingType === "url" ? (s) => (s === undefined ? undefined : s3UrlEncode(s)) : (s) => s;
}

/**
 * The <Contents> entries, each written by one template (what the generic writer would write, a
 * few times faster: a 1000-entry page is the largest document served on every request).
 */
function contentsXml(contents: ListEntry[], enc: (s: string) => string | undefined): RawXml {
  let xml = "";
  for (const c of contents) {
    const checksums = c.checksumAlgorithm ? xmlFragment("ChecksumAlgorithm", c.checksumAlgorithm) : "";
    const owner = c.owner ? xmlFragment("Owner", ownerElement(c.owner)) : "";
    xml +=
      `<Contents><Key>${xmlEscape(enc(c.key)!)}</Key><LastModified>${isoTimestamp(c.lastModified.getTime())}</LastModified>` +
      `<ETag>${xmlEscape(c.etag)}</ETag>${checksums}<Size>${c.size}</Size>${owner}<StorageClass>${xmlEscape(c.storageClass)}</StorageClass></Contents>`;
  }
  return new RawXml(xml);
}

function listTail(input: ListCommon, enc: (s: string) => string | undefined): Record<string, XmlInput> {
  return {
    Contents: contentsXml(input.contents, enc),
    CommonPrefixes: input.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
  };
}

/** ListObjects (v1) result. */
export function listObjectsV1Document(input: ListObjectsV1Input): string {
  const enc = encoder(input.encodingType);
  return renderXml("ListBucketResult", {
    Name: input.name,
    Prefix: enc(input.prefix),
    Marker: enc(input.marker),
    NextMarker: enc(input.nextMarker),
    MaxKeys: input.maxKeys,
    Delimiter: enc(input.delimiter || undefined),
    EncodingType: input.encodingType,
    IsTruncated: input.isTruncated,
    ...listTail(input, enc),
  });
}

/** ListObjectsV2 result. ContinuationToken values are opaque and never URL-encoded. */
export function listObjectsV2Document(input: ListObjectsV2Input): string {
  const enc = encoder(input.encodingType);
  return renderXml("ListBucketResult", {
    Name: input.name,
    Prefix: enc(input.prefix),
    StartAfter: enc(input.startAfter),
    ContinuationToken: input.continuationToken,
    NextContinuationToken: input.nextContinuationToken,
    KeyCount: input.keyCount,
    MaxKeys: input.maxKeys,
    Delimiter: enc(input.delimiter || undefined),
    EncodingType: input.encodingType,
    IsTruncated: input.isTruncated,
    ...listTail(input, enc),
  });
}
