import { describe, expect, test } from "vitest";
import { S3Error } from "../errors";
import { contentRangeHeader, parseRange } from "./range";

function invalidRange(header: string, size: number): S3Error {
  try {
    parseRange(header, size);
  } catch (e) {
    if (e instanceof S3Error) return e;
    throw e;
  }
  throw new Error(`no error for ${header} on size ${size}`);
}

describe("parseRange", () => {
  test.each([
    ["bytes=0-0", 10, { start: 0, end: 0 }],
    ["bytes=0-9", 10, { start: 0, end: 9 }],
    ["bytes=2-5", 10, { start: 2, end: 5 }],
    ["bytes=5-", 10, { start: 5, end: 9 }],
    ["bytes=9-", 10, { start: 9, end: 9 }],
    ["bytes=0-100", 10, { start: 0, end: 9 }],
    ["bytes=3-99999999999999999999999", 10, { start: 3, end: 9 }],
    ["bytes=-3", 10, { start: 7, end: 9 }],
    ["bytes=-10", 10, { start: 0, end: 9 }],
    ["bytes=-100", 10, { start: 0, end: 9 }],
    ["bytes=-1", 1, { start: 0, end: 0 }],
    ["BYTES=1-2", 10, { start: 1, end: 2 }],
    [" bytes = 1 - 2 ", 10, { start: 1, end: 2 }],
    ["bytes=0-5368709119", 5368709120, { start: 0, end: 5368709119 }],
  ])("%s on %i bytes", (header, size, want) => {
    expect(parseRange(header, size)).toEqual(want);
  });

  test.each([
    [null],
    [undefined],
    [""],
    ["bytes"],
    ["bytes="],
    ["bytes=-"],
    ["bytes=a-b"],
    ["bytes=1-2,4-5"],
    ["bytes=0-0,-1"],
    ["items=0-1"],
    ["bytes=5-2"],
    ["bytes=1.5-2"],
    ["bytes=--1"],
    ["0-1"],
  ])("ignored: %s", (header) => {
    expect(parseRange(header, 10)).toBeNull();
  });

  test.each([
    ["bytes=10-", 10],
    ["bytes=10-20", 10],
    ["bytes=100-", 10],
    ["bytes=-0", 10],
    ["bytes=0-", 0],
    ["bytes=0-0", 0],
    ["bytes=-1", 0],
    ["bytes=99999999999999999999-", 10],
  ])("unsatisfiable: %s on %i bytes", (header, size) => {
    const e = invalidRange(header, size);
    expect(e.code).toBe("InvalidRange");
    expect(e.status).toBe(416);
    expect(e.details).toEqual({ RangeRequested: header, ActualObjectSize: size });
    expect(e.headers).toEqual({ "Content-Range": `bytes */${size}` });
  });

  test("an inverted range on an empty object is ignored, not 416", () => {
    expect(parseRange("bytes=5-2", 0)).toBeNull();
  });
});

test("contentRangeHeader", () => {
  expect(contentRangeHeader(0, 9, 10)).toBe("bytes 0-9/10");
  expect(contentRangeHeader(7, 9, 10)).toBe("bytes 7-9/10");
});
