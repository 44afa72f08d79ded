import { describe, expect, test } from "vitest";
import { S3Error } from "../errors";
import { bucketNameProblem, isValidBucketName, isWellFormedUnicode, utf8ByteLength, validateBucketName, validateObjectKey } from "./names";

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
    ["too short", "ab", "between 3 and 63 characters long (this one has 2)"],
    ["too long", "a".repeat(64), "between 3 and 63 characters long (this one has 64)"],
    ["empty", "", "between 3 and 63 characters long (this one has 0)"],
    ["uppercase", "MyBucket", "only of lowercase letters, numbers, dots (.) and hyphens (-)"],
    ["underscore", "my_bucket", "only of lowercase letters"],
    ["space", "my bucket", "only of lowercase letters"],
    ["non-ascii", "bücket", "only of lowercase letters"],
    ["starts with hyphen", "-bucket", "begin and end with a letter or number"],
    ["ends with hyphen", "bucket-", "begin and end with a letter or number"],
    ["starts with dot", ".bucket", "begin and end with a letter or number"],
    ["ends with dot", "bucket.", "begin and end with a letter or number"],
    ["adjacent dots", "my..bucket", "two adjacent periods"],
    ["IP address", "192.168.5.4", "formatted as an IP address"],
    ["IP-like", "999.999.999.999", "formatted as an IP address"],
    ["xn-- prefix", "xn--bucket", 'reserved prefix "xn--"'],
    ["sthree- prefix", "sthree-bucket", 'reserved prefix "sthree-"'],
    ["sthree-configurator prefix", "sthree-configurator-x", 'reserved prefix "sthree-"'],
    ["amzn-s3-demo- prefix", "amzn-s3-demo-bucket", 'reserved prefix "amzn-s3-demo-"'],
    ["-s3alias suffix", "bucket-s3alias", 'reserved suffix "-s3alias"'],
    ["--ol-s3 suffix", "bucket--ol-s3", 'reserved suffix "--ol-s3"'],
    [".mrap suffix", "bucket.mrap", 'reserved suffix ".mrap"'],
    ["--x-s3 suffix", "bucket--usw2-az1--x-s3", 'reserved suffix "--x-s3"'],
    ["--table-s3 suffix", "bucket--table-s3", 'reserved suffix "--table-s3"'],
  ])("invalid (%s): %s", (_why, name, rule) => {
    expect(isValidBucketName(name)).toBe(false);
    expect(bucketNameProblem(name)).toContain(rule);
    const e = thrown(() => validateBucketName(name));
    expect(e.code).toBe("InvalidBucketName");
    expect(e.status).toBe(400);
    expect(e.message).toBe(`The specified bucket is not valid. ${bucketNameProblem(name)}`);
    expect(e.details).toEqual({ BucketName: name });
  });

  test("valid names have no problem", () => {
    expect(bucketNameProblem("my-bucket")).toBeNull();
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
