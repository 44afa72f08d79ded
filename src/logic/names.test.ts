import { describe, expect, test } from "vitest";
import { S3Error } from "../errors";
import { isValidBucketName, isWellFormedUnicode, utf8ByteLength, validateBucketName, validateObjectKey } from "./names";

function thrown(fn: () => void): S3Error {
  try {
    fn();
  } catch (e) {
    if (e instanceof S3Error) return e;
    throw e;
  }
  throw new Error("did not throw");
}

describe("bucket names", () => {
  test.each([
    "abc",
    "my-bucket",
    "my.bucket.name",
    "a1-b2.c3",
    "1bucket",
    "bucket1",
    "a".repeat(63),
    "192.168.5.4x",
    "xn-bucket",
    "bucket-s3alias1",
    "s3alias",
    "sthree",
    "my-sthree-bucket",
  ])("valid: %s", (name) => {
    expect(isValidBucketName(name)).toBe(true);
    expect(() => validateBucketName(name)).not.toThrow();
  });

  test.each([
    ["too short", "ab"],
    ["too long", "a".repeat(64)],
    ["empty", ""],
    ["uppercase", "MyBucket"],
    ["underscore", "my_bucket"],
    ["space", "my bucket"],
    ["non-ascii", "bücket"],
    ["starts with hyphen", "-bucket"],
    ["ends with hyphen", "bucket-"],
    ["starts with dot", ".bucket"],
    ["ends with dot", "bucket."],
    ["adjacent dots", "my..bucket"],
    ["IP address", "192.168.5.4"],
    ["IP-like", "999.999.999.999"],
    ["xn-- prefix", "xn--bucket"],
    ["sthree- prefix", "sthree-bucket"],
    ["sthree-configurator prefix", "sthree-configurator-x"],
    ["amzn-s3-demo- prefix", "amzn-s3-demo-bucket"],
    ["-s3alias suffix", "bucket-s3alias"],
    ["--ol-s3 suffix", "bucket--ol-s3"],
    [".mrap suffix", "bucket.mrap"],
    ["--x-s3 suffix", "bucket--usw2-az1--x-s3"],
    ["--table-s3 suffix", "bucket--table-s3"],
  ])("invalid (%s): %s", (_why, name) => {
    expect(isValidBucketName(name)).toBe(false);
    const e = thrown(() => validateBucketName(name));
    expect(e.code).toBe("InvalidBucketName");
    expect(e.status).toBe(400);
    expect(e.details).toEqual({ BucketName: name });
  });
});

describe("object keys", () => {
  test("UTF-8 byte length", () => {
    expect(utf8ByteLength("")).toBe(0);
    expect(utf8ByteLength("abc")).toBe(3);
    expect(utf8ByteLength("é")).toBe(2);
    expect(utf8ByteLength("€")).toBe(3);
    expect(utf8ByteLength("\uffff")).toBe(3);
    expect(utf8ByteLength("😀")).toBe(4);
    expect(utf8ByteLength("a😀é€")).toBe(new TextEncoder().encode("a😀é€").length);
  });

  test("well-formedness", () => {
    expect(isWellFormedUnicode("a😀b")).toBe(true);
    expect(isWellFormedUnicode("a\ud83d")).toBe(false);
    expect(isWellFormedUnicode("\ude00a")).toBe(false);
    expect(isWellFormedUnicode("\ude00\ud83d")).toBe(false);
  });

  test("accepts any valid Unicode, control characters included, up to 1024 bytes", () => {
    for (const key of ["a", " ", "/", "//", "..", "a\u0000b", "\r\n\t", "soap", "😀".repeat(256), "a".repeat(1024), "é".repeat(512)]) {
      expect(() => validateObjectKey(key), JSON.stringify(key)).not.toThrow();
    }
  });

  test("too long keys: KeyTooLongError with Size and MaxSizeAllowed", () => {
    const e = thrown(() => validateObjectKey("a".repeat(1025)));
    expect(e.code).toBe("KeyTooLongError");
    expect(e.details).toEqual({ Size: 1025, MaxSizeAllowed: 1024 });
    expect(thrown(() => validateObjectKey("é".repeat(513))).details).toEqual({ Size: 1026, MaxSizeAllowed: 1024 });
    expect(thrown(() => validateObjectKey("😀".repeat(256) + "a")).code).toBe("KeyTooLongError");
  });

  test("empty or ill-formed keys are InvalidArgument", () => {
    expect(thrown(() => validateObjectKey("")).code).toBe("InvalidArgument");
    expect(thrown(() => validateObjectKey("a\ud800")).code).toBe("InvalidArgument");
  });
});
