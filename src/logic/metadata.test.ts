import { describe, expect, test } from "vitest";
import { S3Error } from "../errors";
import { DEFAULT_CONTENT_TYPE, extractObjectMetadata, hasResponseOverrides, responseHeadersFor, storedContentEncoding, userMetadataSize } from "./metadata";

describe("extractObjectMetadata", () => {
  test("user metadata: lowercased names without the prefix; other headers ignored", () => {
    const h = new Headers({
      "X-Amz-Meta-Color": "Blue",
      "x-amz-meta-multi-word-key": "a, b",
      "x-amz-meta-": "dropped",
      "x-amz-acl": "private",
      "x-amz-metadata-directive": "REPLACE",
      Authorization: "secret",
    });
    expect(extractObjectMetadata(h).userMeta).toEqual({ color: "Blue", "multi-word-key": "a, b" });
  });

  test("repeated headers are joined like any HTTP header", () => {
    const h = new Headers();
    h.append("x-amz-meta-tag", "one");
    h.append("x-amz-meta-tag", "two");
    expect(extractObjectMetadata(h).userMeta).toEqual({ tag: "one, two" });
  });

  test("a __proto__ key is stored as data", () => {
    const meta = extractObjectMetadata(new Headers({ "x-amz-meta-__proto__": "x" })).userMeta;
    expect(Object.keys(meta)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(meta)).toBe(Object.prototype);
  });

  test("stored content headers; Content-Type defaults to binary/octet-stream", () => {
    expect(extractObjectMetadata(new Headers()).http).toEqual({ contentType: DEFAULT_CONTENT_TYPE });
    expect(extractObjectMetadata(new Headers({ "content-type": "" })).http.contentType).toBe("binary/octet-stream");
    const h = new Headers({
      "Content-Type": "text/plain; charset=utf-8",
      "Content-Encoding": "gzip",
      "Content-Disposition": 'attachment; filename="a b.txt"',
      "Content-Language": "de-CH",
      "Cache-Control": "max-age=60",
      Expires: "Thu, 01 Dec 1994 16:00:00 GMT",
      "Content-Length": "5",
    });
    expect(extractObjectMetadata(h).http).toEqual({
      contentType: "text/plain; charset=utf-8",
      contentEncoding: "gzip",
      contentDisposition: 'attachment; filename="a b.txt"',
      contentLanguage: "de-CH",
      cacheControl: "max-age=60",
      expires: "Thu, 01 Dec 1994 16:00:00 GMT",
    });
  });

  test("aws-chunked is removed from Content-Encoding", () => {
    expect(storedContentEncoding(null)).toBeUndefined();
    expect(storedContentEncoding("aws-chunked")).toBeUndefined();
    expect(storedContentEncoding("AWS-Chunked")).toBeUndefined();
    expect(storedContentEncoding("aws-chunked,gzip")).toBe("gzip");
    expect(storedContentEncoding("gzip, aws-chunked")).toBe("gzip");
    expect(storedContentEncoding("aws-chunked, gzip, br")).toBe("gzip,br");
    expect(storedContentEncoding("gzip, br")).toBe("gzip, br");
    expect(storedContentEncoding("")).toBeUndefined();
    expect(extractObjectMetadata(new Headers({ "content-encoding": "aws-chunked" })).http.contentEncoding).toBeUndefined();
  });
});

describe("2 KB user metadata limit", () => {
  test("size is the sum of key (without prefix) and value bytes", () => {
    expect(userMetadataSize({})).toBe(0);
    expect(userMetadataSize({ color: "blue" })).toBe(9);
    expect(userMetadataSize({ k: "€" })).toBe(4); // a string built in code, measured as UTF-8
    expect(userMetadataSize({ k: "\u00e2\u0082\u00ac" })).toBe(4); // the same "€" as a header byte string
  });

  test("exactly 2048 bytes passes, 2049 fails", () => {
    const ok = new Headers({ "x-amz-meta-k": "v".repeat(2047) });
    expect(() => extractObjectMetadata(ok)).not.toThrow();
    const tooBig = new Headers({ "x-amz-meta-k": "v".repeat(2048) });
    expect(() => extractObjectMetadata(tooBig)).toThrow(S3Error);
    try {
      extractObjectMetadata(tooBig);
    } catch (e) {
      expect((e as S3Error).code).toBe("MetadataTooLarge");
      expect((e as S3Error).status).toBe(400);
    }
  });

  test("summed across keys", () => {
    const h = new Headers();
    for (let i = 0; i < 20; i++) h.set(`x-amz-meta-key${String(i).padStart(2, "0")}`, "v".repeat(97)); // 20 * (5 + 97) = 2040
    expect(() => extractObjectMetadata(h)).not.toThrow();
    h.set("x-amz-meta-z", "1234567"); // + 8 = 2048
    expect(() => extractObjectMetadata(h)).not.toThrow();
    h.set("x-amz-meta-y", ""); // + 1 = 2049
    expect(() => extractObjectMetadata(h)).toThrow(S3Error);
  });
});

describe("responseHeadersFor", () => {
  const meta = {
    userMeta: { color: "blue", "two-words": "x y" },
    http: { contentType: "text/plain", contentEncoding: "gzip", cacheControl: "no-cache" },
  };

  test("stored headers and user metadata", () => {
    expect(responseHeadersFor(meta)).toEqual({
      "Content-Type": "text/plain",
      "Content-Encoding": "gzip",
      "Cache-Control": "no-cache",
      "x-amz-meta-color": "blue",
      "x-amz-meta-two-words": "x y",
    });
  });

  test("response-* overrides (non-empty ones only)", () => {
    const q = new URLSearchParams({
      "response-content-type": "application/json",
      "response-content-language": "fr",
      "response-expires": "Thu, 01 Dec 1994 16:00:00 GMT",
      "response-cache-control": "max-age=1",
      "response-content-disposition": "attachment",
      "response-content-encoding": "",
      "response-other": "ignored",
    });
    expect(responseHeadersFor(meta, q)).toEqual({
      "Content-Type": "application/json",
      "Content-Encoding": "gzip",
      "Content-Language": "fr",
      Expires: "Thu, 01 Dec 1994 16:00:00 GMT",
      "Cache-Control": "max-age=1",
      "Content-Disposition": "attachment",
      "x-amz-meta-color": "blue",
      "x-amz-meta-two-words": "x y",
    });
  });

  test("round trip through extract", () => {
    const h = new Headers({ "content-type": "image/png", "x-amz-meta-a": "1", expires: "soon" });
    expect(responseHeadersFor(extractObjectMetadata(h))).toEqual({ "Content-Type": "image/png", Expires: "soon", "x-amz-meta-a": "1" });
  });

  test("a stored record without Content-Type serves the default", () => {
    expect(responseHeadersFor({ userMeta: {}, http: {} })).toEqual({ "Content-Type": "binary/octet-stream" });
  });

  test("hasResponseOverrides", () => {
    expect(hasResponseOverrides(new URLSearchParams("versionId=1"))).toBe(false);
    expect(hasResponseOverrides(new URLSearchParams("response-content-type=a"))).toBe(true);
    expect(hasResponseOverrides(new URLSearchParams("response-expires="))).toBe(true);
  });
});
