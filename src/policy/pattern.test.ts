import { describe, expect, it } from "vitest";
import { isFixed, substitute, wildcardMatch } from "./pattern";

const values: Record<string, string> = { "aws:username": "alice", "aws:userid": "a*b" };
const lookup = (k: string) => values[k.toLowerCase()];

describe("wildcardMatch", () => {
  it.each([
    ["arn:aws:s3:::b/*", "arn:aws:s3:::b/a/b/c", true],
    ["arn:aws:s3:::b/*", "arn:aws:s3:::b", false],
    ["arn:aws:s3:::b*", "arn:aws:s3:::b/x", true], // `*` runs over "/"
    ["arn:aws:s3:::b/a?c", "arn:aws:s3:::b/abc", true],
    ["arn:aws:s3:::b/a?c", "arn:aws:s3:::b/ac", false],
    ["arn:aws:s3:::b/a.c", "arn:aws:s3:::b/abc", false], // regex characters are literal
    ["arn:aws:s3:::b/(x)+", "arn:aws:s3:::b/(x)+", true],
    ["s3:Get*", "s3:GetObject", true],
    ["S3:GET*", "s3:GetObject", false], // case-sensitive unless asked
    ["", "", true],
    ["*", "", true],
  ])("%s ~ %s = %s", (pattern, value, expected) => {
    expect(wildcardMatch(pattern, value)).toBe(expected);
  });

  it("ignores case when asked", () => {
    expect(wildcardMatch("S3:GET*", "s3:GetObject", { ignoreCase: true })).toBe(true);
  });

  it.each([
    ["arn:aws:s3:::b/home/${aws:username}/*", "arn:aws:s3:::b/home/alice/x", true],
    ["arn:aws:s3:::b/home/${aws:username}/*", "arn:aws:s3:::b/home/bob/x", false],
    ["arn:aws:s3:::b/${aws:userid}", "arn:aws:s3:::b/a*b", true],
    ["arn:aws:s3:::b/${aws:userid}", "arn:aws:s3:::b/aXb", false], // a substituted `*` is literal
    ["arn:aws:s3:::b/${aws:nokey}", "arn:aws:s3:::b/", false], // no value: matches nothing
    ["arn:aws:s3:::b/${aws:nokey, 'none'}/*", "arn:aws:s3:::b/none/x", true],
    ["arn:aws:s3:::b/${*}${?}${$}", "arn:aws:s3:::b/*?$", true],
    ["arn:aws:s3:::b/${*}", "arn:aws:s3:::b/x", false],
  ])("with variables: %s ~ %s = %s", (pattern, value, expected) => {
    expect(wildcardMatch(pattern, value, { lookup })).toBe(expected);
  });

  it("treats ${...} as text without variables (2008-10-17)", () => {
    expect(wildcardMatch("b/${aws:username}", "b/${aws:username}")).toBe(true);
    expect(wildcardMatch("b/${aws:username}", "b/alice")).toBe(false);
  });
});

describe("substitute and isFixed", () => {
  it("substitutes or gives null", () => {
    expect(substitute("u-${aws:username}", lookup)).toBe("u-alice");
    expect(substitute("u-${aws:none}", lookup)).toBeNull();
    expect(substitute("u-${aws:username}", null)).toBe("u-${aws:username}");
  });
  it.each([
    ["vpc-123", true],
    ["vpc-*", false],
    ["vpc-?", false],
    ["${aws:username}", false],
  ])("isFixed(%s) = %s", (v, expected) => expect(isFixed(v)).toBe(expected));
});
