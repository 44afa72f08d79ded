import { describe, expect, it } from "vitest";
import { pageParts, parseObjectAttributes, parsePartsPage } from "./object-attributes";
import { s3ErrorOf as s3Error } from "../../test/support/s3-error";

describe("parseObjectAttributes", () => {
  it("reads the comma-separated list (as the SDKs send it), spaces tolerated", () => {
    const h = new Headers({ "x-amz-object-attributes": "ETag, Checksum,ObjectParts,StorageClass,ObjectSize" });
    expect([...parseObjectAttributes(h)]).toEqual(["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]);
  });

  it("answers InvalidArgument for a missing, empty or unknown attribute (names are case-sensitive)", () => {
    expect(s3Error(() => parseObjectAttributes(new Headers()))).toMatch(
      /^InvalidArgument: The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty/,
    );
    expect(s3Error(() => parseObjectAttributes(new Headers({ "x-amz-object-attributes": " , " })))).toMatch(/either missing or empty/);
    expect(s3Error(() => parseObjectAttributes(new Headers({ "x-amz-object-attributes": "ETag,etag" })))).toBe(
      "InvalidArgument: Invalid attribute name specified.",
    );
  });
});

describe("parts paging", () => {
  const parts = [1, 2, 3, 5, 8].map((partNumber) => ({ partNumber }));

  it("defaults to 1000 parts from the start and caps larger requests", () => {
    expect(parsePartsPage(new Headers())).toEqual({ maxParts: 1000, partNumberMarker: 0 });
    expect(parsePartsPage(new Headers({ "x-amz-max-parts": "5000", "x-amz-part-number-marker": "3" }))).toEqual({ maxParts: 1000, partNumberMarker: 3 });
    expect(s3Error(() => parsePartsPage(new Headers({ "x-amz-max-parts": "-1" })))).toMatch(/^InvalidArgument/);
    expect(s3Error(() => parsePartsPage(new Headers({ "x-amz-part-number-marker": "x" })))).toMatch(/^InvalidArgument/);
  });

  it("pages after the marker and says where the next page starts", () => {
    expect(pageParts(parts, { maxParts: 2, partNumberMarker: 0 })).toEqual({
      parts: [{ partNumber: 1 }, { partNumber: 2 }],
      isTruncated: true,
      nextPartNumberMarker: 2,
    });
    expect(pageParts(parts, { maxParts: 2, partNumberMarker: 2 })).toEqual({
      parts: [{ partNumber: 3 }, { partNumber: 5 }],
      isTruncated: true,
      nextPartNumberMarker: 5,
    });
    expect(pageParts(parts, { maxParts: 2, partNumberMarker: 5 })).toEqual({ parts: [{ partNumber: 8 }], isTruncated: false, nextPartNumberMarker: 8 });
    expect(pageParts(parts, { maxParts: 2, partNumberMarker: 8 })).toEqual({ parts: [], isTruncated: false, nextPartNumberMarker: undefined });
  });
});
