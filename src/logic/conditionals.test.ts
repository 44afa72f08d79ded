import { describe, expect, test } from "vitest";
import { S3Error } from "../errors";
import {
  checkPreconditions,
  checkWritePreconditions,
  evaluatePreconditions,
  formatHttpDate,
  hasPreconditions,
  parseEtagList,
  parseHttpDate,
  parsePreconditions,
} from "./conditionals";

const ETAG = '"d41d8cd98f00b204e9800998ecf8427e"';
const BARE = "d41d8cd98f00b204e9800998ecf8427e";
// Last modified 2024-05-01T12:00:00.750Z: sent to clients as "Wed, 01 May 2024 12:00:00 GMT".
const OBJ = { etag: ETAG, lastModified: new Date(Date.UTC(2024, 4, 1, 12, 0, 0, 750)) };
const SAME = "Wed, 01 May 2024 12:00:00 GMT";
const BEFORE = "Wed, 01 May 2024 11:59:59 GMT";
const AFTER = "Wed, 01 May 2024 12:00:01 GMT";

function check(h: Record<string, string>, prefix = "") {
  return checkPreconditions(parsePreconditions(new Headers(h), prefix), OBJ);
}

function thrown(fn: () => void): S3Error | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof S3Error) return e;
    throw e;
  }
  return undefined;
}

describe("parseHttpDate", () => {
  test("the three HTTP-date forms", () => {
    const want = Date.UTC(1994, 10, 6, 8, 49, 37);
    expect(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT")?.getTime()).toBe(want);
    expect(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT")?.getTime()).toBe(want);
    expect(parseHttpDate("Sun Nov  6 08:49:37 1994")?.getTime()).toBe(want);
    expect(parseHttpDate(" Sun, 06 Nov 1994 08:49:37 GMT ")?.getTime()).toBe(want);
  });

  test.each([
    null,
    undefined,
    "",
    "1",
    "yesterday",
    "2024-05-01T12:00:00Z",
    "Sun, 06 Nov 1994 08:49:37",
    "Sun, 31 Feb 1994 08:49:37 GMT",
    "Sun, 06 Foo 1994 08:49:37 GMT",
    "Sun, 06 Nov 1994 25:49:37 GMT",
  ])("invalid: %s", (v) => expect(parseHttpDate(v)).toBeUndefined());

  test("formatHttpDate round-trips at second granularity", () => {
    expect(formatHttpDate(OBJ.lastModified)).toBe(SAME);
    expect(parseHttpDate(formatHttpDate(OBJ.lastModified))?.getTime()).toBe(Date.UTC(2024, 4, 1, 12, 0, 0));
  });
});

describe("parseEtagList", () => {
  test("forms", () => {
    expect(parseEtagList("*")).toEqual(["*"]);
    expect(parseEtagList('"abc"')).toEqual([{ tag: "abc", weak: false }]);
    expect(parseEtagList("abc")).toEqual([{ tag: "abc", weak: false }]);
    expect(parseEtagList('W/"abc"')).toEqual([{ tag: "abc", weak: true }]);
    expect(parseEtagList(' "a" , W/"b",c, ,"d-3"')).toEqual([
      { tag: "a", weak: false },
      { tag: "b", weak: true },
      { tag: "c", weak: false },
      { tag: "d-3", weak: false },
    ]);
    expect(parseEtagList('"a,b", "c"')).toEqual([
      { tag: "a,b", weak: false },
      { tag: "c", weak: false },
    ]);
    expect(parseEtagList(null)).toBeUndefined();
    expect(parseEtagList("")).toBeUndefined();
    expect(parseEtagList(" , ")).toBeUndefined();
  });
});

describe("checkPreconditions (GET/HEAD)", () => {
  test("no headers", () => {
    expect(check({})).toBe("proceed");
    expect(hasPreconditions(parsePreconditions(new Headers()))).toBe(false);
    expect(hasPreconditions(parsePreconditions(new Headers({ "if-match": "*" })))).toBe(true);
  });

  test.each([
    [ETAG, "proceed"],
    [BARE, "proceed"],
    ["*", "proceed"],
    [`"other", ${ETAG}`, "proceed"],
    ['"other"', "precondition-failed"],
    [`W/${ETAG}`, "precondition-failed"], // strong comparison
  ])("If-Match %s", (v, want) => expect(check({ "if-match": v })).toBe(want));

  test.each([
    [ETAG, "not-modified"],
    [BARE, "not-modified"],
    ["*", "not-modified"],
    [`W/${ETAG}`, "not-modified"], // weak comparison
    [`"other", ${ETAG}`, "not-modified"],
    ['"other"', "proceed"],
  ])("If-None-Match %s", (v, want) => expect(check({ "if-none-match": v })).toBe(want));

  test.each([
    [BEFORE, "proceed"], // modified since 11:59:59
    ["Wed, 01 May 2024 11:59:58 GMT", "proceed"],
    [SAME, "not-modified"], // the sub-second part of Last-Modified is ignored
    [AFTER, "not-modified"],
  ])("If-Modified-Since %s (object modified at 12:00:00.750)", (v, want) => {
    expect(check({ "if-modified-since": v })).toBe(want);
  });

  test.each([
    [BEFORE, "precondition-failed"],
    [SAME, "proceed"],
    [AFTER, "proceed"],
  ])("If-Unmodified-Since %s", (v, want) => expect(check({ "if-unmodified-since": v })).toBe(want));

  test("invalid dates are ignored", () => {
    expect(check({ "if-unmodified-since": "garbage" })).toBe("proceed");
    expect(check({ "if-modified-since": "2030" })).toBe("proceed");
  });

  test("S3: If-Match true + If-Unmodified-Since false -> proceed", () => {
    expect(check({ "if-match": ETAG, "if-unmodified-since": BEFORE })).toBe("proceed");
  });

  test("S3: If-None-Match false + If-Modified-Since true -> 304", () => {
    expect(check({ "if-none-match": ETAG, "if-modified-since": BEFORE })).toBe("not-modified");
  });

  test("If-None-Match true overrides If-Modified-Since false", () => {
    expect(check({ "if-none-match": '"other"', "if-modified-since": AFTER })).toBe("proceed");
  });

  test("412 wins over 304", () => {
    expect(check({ "if-match": '"other"', "if-none-match": ETAG })).toBe("precondition-failed");
    expect(check({ "if-unmodified-since": BEFORE, "if-modified-since": AFTER })).toBe("precondition-failed");
  });

  test("copy-source prefix: reads only the prefixed headers and names them", () => {
    const h = new Headers({ "if-match": '"other"', "x-amz-copy-source-if-none-match": ETAG });
    const p = parsePreconditions(h, "x-amz-copy-source-");
    expect(p.ifMatch).toBeUndefined();
    expect(evaluatePreconditions(p, OBJ)).toEqual({ outcome: "not-modified", header: "x-amz-copy-source-If-None-Match" });
    expect(check({ "x-amz-copy-source-if-match": ETAG, "x-amz-copy-source-if-unmodified-since": BEFORE }, "x-amz-copy-source-")).toBe("proceed");
    expect(check({ "x-amz-copy-source-if-unmodified-since": BEFORE }, "x-amz-copy-source-")).toBe("precondition-failed");
  });

  test("evaluatePreconditions names the deciding header", () => {
    const ev = (h: Record<string, string>) => evaluatePreconditions(parsePreconditions(new Headers(h)), OBJ);
    expect(ev({ "if-match": '"x"' })).toEqual({ outcome: "precondition-failed", header: "If-Match" });
    expect(ev({ "if-unmodified-since": BEFORE })).toEqual({ outcome: "precondition-failed", header: "If-Unmodified-Since" });
    expect(ev({ "if-modified-since": AFTER })).toEqual({ outcome: "not-modified", header: "If-Modified-Since" });
    expect(ev({})).toEqual({ outcome: "proceed" });
  });

  test("object ETag may be given unquoted", () => {
    const p = parsePreconditions(new Headers({ "if-match": ETAG }));
    expect(checkPreconditions(p, { etag: BARE, lastModified: OBJ.lastModified })).toBe("proceed");
  });
});

describe("checkWritePreconditions", () => {
  const write = (h: Record<string, string>, existing: { etag: string } | null) => thrown(() => checkWritePreconditions(new Headers(h), existing));

  test("no headers: always allowed", () => {
    expect(write({}, null)).toBeUndefined();
    expect(write({}, { etag: ETAG })).toBeUndefined();
  });

  test("If-None-Match: *", () => {
    expect(write({ "if-none-match": "*" }, null)).toBeUndefined();
    const e = write({ "if-none-match": "*" }, { etag: ETAG });
    expect(e?.code).toBe("PreconditionFailed");
    expect(e?.status).toBe(412);
    expect(e?.details).toEqual({ Condition: "If-None-Match" });
  });

  test("If-None-Match with an ETag is NotImplemented", () => {
    expect(write({ "if-none-match": ETAG }, null)?.code).toBe("NotImplemented");
    expect(write({ "if-none-match": ETAG }, { etag: ETAG })?.code).toBe("NotImplemented");
  });

  test("If-Match", () => {
    expect(write({ "if-match": ETAG }, { etag: ETAG })).toBeUndefined();
    expect(write({ "if-match": BARE }, { etag: ETAG })).toBeUndefined();
    expect(write({ "if-match": "*" }, { etag: ETAG })).toBeUndefined();
    const e = write({ "if-match": '"other"' }, { etag: ETAG });
    expect(e?.code).toBe("PreconditionFailed");
    expect(e?.details).toEqual({ Condition: "If-Match" });
    expect(write({ "if-match": "" }, { etag: ETAG })?.code).toBe("PreconditionFailed");
  });

  test("If-Match on a missing key is NoSuchKey", () => {
    const e = write({ "if-match": ETAG }, null);
    expect(e?.code).toBe("NoSuchKey");
    expect(e?.status).toBe(404);
  });

  test("both headers together are NotImplemented", () => {
    expect(write({ "if-match": ETAG, "if-none-match": "*" }, { etag: ETAG })?.code).toBe("NotImplemented");
  });
});
