import { describe, expect, it } from "vitest";
import type { ObjectAttribute } from "../logic/object-attributes";
import { objectAttributesDocument, type ObjectAttributesInput } from "./object-attributes";

const HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<GetObjectAttributesResponse xmlns="http://s3.amazonaws.com/doc/2006-03-01/">';
const ALL = new Set<ObjectAttribute>(["ObjectSize", "StorageClass", "ObjectParts", "Checksum", "ETag"]);

const multipart: ObjectAttributesInput = {
  requested: ALL,
  etag: '"abc-2"',
  checksum: { algorithm: "CRC32", value: "AAAAAA==-2", type: "COMPOSITE" },
  size: 10,
  storageClass: "STANDARD",
  parts: {
    totalPartsCount: 2,
    partNumberMarker: 0,
    nextPartNumberMarker: 1,
    maxParts: 1,
    isTruncated: true,
    page: [{ partNumber: 1, size: 6, checksum: "AQIDBA==" }],
    algorithm: "CRC32",
  },
};

describe("objectAttributesDocument", () => {
  it("writes every attribute in S3's order, the ETag unquoted and the part count as PartsCount", () => {
    expect(objectAttributesDocument(multipart)).toBe(
      HEAD +
        "<ETag>abc-2</ETag><Checksum><ChecksumCRC32>AAAAAA==-2</ChecksumCRC32><ChecksumType>COMPOSITE</ChecksumType></Checksum>" +
        "<ObjectParts><PartsCount>2</PartsCount><PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>1</NextPartNumberMarker><MaxParts>1</MaxParts>" +
        "<IsTruncated>true</IsTruncated><Part><PartNumber>1</PartNumber><Size>6</Size><ChecksumCRC32>AQIDBA==</ChecksumCRC32></Part></ObjectParts>" +
        "<StorageClass>STANDARD</StorageClass><ObjectSize>10</ObjectSize></GetObjectAttributesResponse>",
    );
  });

  it("writes only what was asked for; no ObjectParts for a single-part object; no Part list without checksums", () => {
    expect(objectAttributesDocument({ ...multipart, requested: new Set(["ObjectSize"]) })).toBe(
      `${HEAD}<ObjectSize>10</ObjectSize></GetObjectAttributesResponse>`,
    );
    expect(objectAttributesDocument({ ...multipart, requested: new Set(["ObjectParts", "Checksum"]), parts: null, checksum: null })).toBe(
      `${HEAD}</GetObjectAttributesResponse>`,
    );
    const noChecksums = objectAttributesDocument({ ...multipart, requested: new Set(["ObjectParts"]), parts: { ...multipart.parts!, algorithm: null } });
    expect(noChecksums).toContain("<PartsCount>2</PartsCount>");
    expect(noChecksums).not.toContain("<Part>");
  });
});
