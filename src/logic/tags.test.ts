import { describe, expect, test } from "vitest";
import { S3Error } from "../errors";
import { deserializeTags, parseTaggingHeader, serializeTags, storedTags, storedTagsFromHeader, validateTagSet, type TagSet, type TagTarget } from "./tags";

function failure(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (e) {
    if (e instanceof S3Error) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error("no error");
}

const tags = (n: number, f = (i: number) => ({ key: `k${i}`, value: `v${i}` })): TagSet => Array.from({ length: n }, (_, i) => f(i));

describe("validateTagSet", () => {
  test("accepts the limits exactly", () => {
    expect(validateTagSet(tags(10), "object")).toHaveLength(10);
    expect(validateTagSet(tags(50), "bucket")).toHaveLength(50);
    expect(validateTagSet([{ key: "k".repeat(128), value: "v".repeat(256) }], "object")).toHaveLength(1);
    expect(validateTagSet([], "object")).toEqual([]);
  });

  test.each<[TagTarget, number, string]>([
    ["object", 11, "Object tags cannot be greater than 10"],
    ["bucket", 51, "Bucket tag count cannot be greater than 50"],
  ])("too many %s tags is BadRequest", (target, n, message) => {
    expect(failure(() => validateTagSet(tags(n), target))).toEqual({ code: "BadRequest", message });
  });

  test("accepts letters, digits, white space and _ . : / = + - @ in any script", () => {
    const ok = [
      { key: "Project Name", value: "a_b.c:d/e=f+g-h@i" },
      { key: "日本語", value: "ünïcödé ٣" },
      { key: "x", value: "" },
      { key: "@home", value: "-" },
    ];
    expect(validateTagSet(ok, "object")).toEqual(ok);
  });

  test.each([
    [{ key: "", value: "v" }, "The TagKey you have provided is invalid"],
    [{ key: "a&b", value: "v" }, "The TagKey you have provided is invalid"],
    [{ key: "tab\there", value: "v" }, "The TagKey you have provided is invalid"],
    [{ key: "k", value: "semi;colon" }, "The TagValue you have provided is invalid"],
    [{ key: "k", value: "😀" }, "The TagValue you have provided is invalid"],
    [{ key: "k".repeat(129), value: "v" }, "The TagKey you have provided is too long, max 128"],
    [{ key: "k", value: "v".repeat(257) }, "The TagValue you have provided is too long, max 256"],
    [{ key: "aws:owner", value: "v" }, "Your TagKey cannot be prefixed with aws:"],
    [{ key: "AWS:owner", value: "v" }, "Your TagKey cannot be prefixed with aws:"],
  ])("refuses %j as InvalidTag", (tag, message) => {
    expect(failure(() => validateTagSet([tag], "object"))).toEqual({ code: "InvalidTag", message });
  });

  test("lengths count UTF-16 code units", () => {
    // U+10000 (a letter outside the BMP) takes two code units.
    const astral = "\u{10000}";
    expect(validateTagSet([{ key: astral.repeat(64), value: "v" }], "object")).toHaveLength(1);
    expect(failure(() => validateTagSet([{ key: astral.repeat(64) + "a", value: "v" }], "object")).code).toBe("InvalidTag");
  });

  test("duplicate keys are InvalidTag; keys are case-sensitive", () => {
    expect(
      failure(() =>
        validateTagSet(
          [
            { key: "a", value: "1" },
            { key: "a", value: "2" },
          ],
          "object",
        ),
      ),
    ).toEqual({
      code: "InvalidTag",
      message: "Cannot provide multiple Tags with the same key",
    });
    expect(
      validateTagSet(
        [
          { key: "a", value: "1" },
          { key: "A", value: "2" },
        ],
        "object",
      ),
    ).toHaveLength(2);
  });

  test("bucket system tags have their own message", () => {
    expect(failure(() => validateTagSet([{ key: "aws:cloudformation:stack", value: "x" }], "bucket")).message).toBe(
      "System tags cannot be added/updated by requester",
    );
  });
});

describe("parseTaggingHeader", () => {
  test("reads URL query form in order, decoding %XX and +", () => {
    expect(parseTaggingHeader("tag1=value1&tag2=value2")).toEqual([
      { key: "tag1", value: "value1" },
      { key: "tag2", value: "value2" },
    ]);
    expect(parseTaggingHeader("my%20key=a+b%2Bc&%C3%BC=%3D%2F")).toEqual([
      { key: "my key", value: "a b+c" },
      { key: "ü", value: "=/" },
    ]);
  });

  test("a name without = has the empty value; empty segments are skipped", () => {
    expect(parseTaggingHeader("foo=bar&bar")).toEqual([
      { key: "foo", value: "bar" },
      { key: "bar", value: "" },
    ]);
    expect(parseTaggingHeader("&a=1&&b=&")).toEqual([
      { key: "a", value: "1" },
      { key: "b", value: "" },
    ]);
    expect(parseTaggingHeader("")).toEqual([]);
  });

  test.each(["a=1&a=2", "TagSet=[{Key=string,Value=string}]", "a=%E0%A4%A"])("%s is InvalidArgument", (header) => {
    expect(failure(() => parseTaggingHeader(header)).code).toBe("InvalidArgument");
  });

  test("applies the object rules", () => {
    expect(failure(() => parseTaggingHeader(Array.from({ length: 11 }, (_, i) => `k${i}=v`).join("&"))).code).toBe("BadRequest");
    expect(failure(() => parseTaggingHeader("TagSet%3D%5B%7BKey%3Dstring%7D%5D")).code).toBe("InvalidTag");
    expect(failure(() => parseTaggingHeader("aws%3Ax=1")).code).toBe("InvalidTag");
  });
});

describe("stored form", () => {
  test("round-trips through JSON, keeping order and integer-like keys", () => {
    const set = [
      { key: "2", value: "two" },
      { key: "1", value: "" },
      { key: "z", value: "ü" },
    ];
    const stored = serializeTags(set);
    expect(stored).toBe('[["2","two"],["1",""],["z","ü"]]');
    expect(deserializeTags(stored)).toEqual(set);
  });

  test("no tags is null / 0", () => {
    expect(serializeTags([])).toBeNull();
    expect(deserializeTags(null)).toEqual([]);
    expect(storedTags([])).toEqual({ tags: null, tagCount: 0 });
    expect(storedTagsFromHeader(new Headers())).toEqual({ tags: null, tagCount: 0 });
    expect(storedTagsFromHeader(new Headers({ "x-amz-tagging": "a=1&b=2" }))).toEqual({ tags: '[["a","1"],["b","2"]]', tagCount: 2 });
  });
});
