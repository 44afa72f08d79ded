import { describe, expect, it } from "vitest";
import { conditionHolds, isKnownKey, normalizeKey, parseConditionBlock, parseDate, type ConditionValues } from "./conditions";
import { variableLookup } from "./evaluate";

type Values = Record<string, string | string[]>;
const ctx = (v: Values): ConditionValues => new Map(Object.entries(v).map(([k, x]) => [normalizeKey(k), x]));

/** Does `{operator: {key: policyValues}}` hold for a request with `request`? (variables on, as in 2012-10-17) */
function holds(operator: string, key: string, policyValues: unknown, request: Values): boolean {
  const [c] = parseConditionBlock({ [operator]: { [key]: policyValues } });
  const values = ctx(request);
  return conditionHolds(c, values, variableLookup(values));
}

describe("condition operators", () => {
  it.each<[string, string, unknown, Values, boolean]>([
    // strings
    ["StringEquals", "s3:prefix", "home/", { "s3:prefix": "home/" }, true],
    ["StringEquals", "s3:prefix", "home/", { "s3:prefix": "Home/" }, false],
    ["StringEquals", "s3:prefix", ["a", "home/"], { "s3:prefix": "home/" }, true], // values OR
    ["StringEquals", "s3:prefix", "home/", {}, false], // missing key fails a positive operator
    ["StringNotEquals", "s3:prefix", ["a", "b"], { "s3:prefix": "c" }, true],
    ["StringNotEquals", "s3:prefix", ["a", "b"], { "s3:prefix": "b" }, false], // NOR over the values
    ["StringNotEquals", "s3:prefix", "a", {}, true], // missing key satisfies a negated operator
    ["StringEqualsIgnoreCase", "aws:UserAgent", "AWS-CLI", { "aws:useragent": "aws-cli" }, true],
    ["StringNotEqualsIgnoreCase", "aws:UserAgent", "AWS-CLI", { "aws:UserAgent": "aws-cli" }, false],
    ["StringLike", "aws:Referer", "https://www.example.com/*", { "aws:Referer": "https://www.example.com/page" }, true],
    ["StringLike", "aws:Referer", "https://www.example.com/*", { "aws:Referer": "https://evil.test/www.example.com/" }, false],
    ["StringLike", "s3:prefix", "home/${aws:username}/*", { "s3:prefix": "home/alice/docs", "aws:username": "alice" }, true],
    ["StringLike", "s3:prefix", "home/${aws:username}/*", { "s3:prefix": "home/bob/docs", "aws:username": "alice" }, false],
    ["StringEquals", "s3:prefix", "home/${aws:username}", { "s3:prefix": "home/alice", "aws:username": "alice" }, true],
    ["StringNotLike", "aws:Referer", "*example.com*", { "aws:Referer": "https://x.test" }, true],
    ["StringNotLike", "aws:Referer", "*example.com*", { "aws:Referer": "https://example.com" }, false],
    // numbers
    ["NumericEquals", "s3:max-keys", "10", { "s3:max-keys": "10" }, true],
    ["NumericEquals", "s3:max-keys", 10, { "s3:max-keys": "10.0" }, true],
    ["NumericNotEquals", "s3:max-keys", "10", { "s3:max-keys": "11" }, true],
    ["NumericNotEquals", "s3:max-keys", "10", { "s3:max-keys": "10" }, false],
    ["NumericLessThan", "s3:max-keys", "10", { "s3:max-keys": "9" }, true],
    ["NumericLessThan", "s3:max-keys", "10", { "s3:max-keys": "10" }, false],
    ["NumericLessThanEquals", "s3:max-keys", "10", { "s3:max-keys": "10" }, true],
    ["NumericGreaterThan", "s3:max-keys", "10", { "s3:max-keys": "10" }, false],
    ["NumericGreaterThan", "s3:max-keys", "10", { "s3:max-keys": "11" }, true],
    ["NumericGreaterThanEquals", "s3:max-keys", "10", { "s3:max-keys": "10" }, true],
    ["NumericLessThan", "s3:max-keys", "10", { "s3:max-keys": "ten" }, false], // a request value that is no number matches nothing
    // dates
    ["DateEquals", "aws:CurrentTime", "2026-12-01T00:00:00Z", { "aws:CurrentTime": "2026-12-01T00:00:00.000Z" }, true],
    ["DateNotEquals", "aws:CurrentTime", "2026-12-01", { "aws:CurrentTime": "2026-12-01T00:00:01Z" }, true],
    ["DateLessThan", "aws:CurrentTime", "2027-01-01T00:00:00Z", { "aws:CurrentTime": "2026-12-01T10:00:00Z" }, true],
    ["DateLessThan", "aws:CurrentTime", "2026-01-01T00:00:00Z", { "aws:CurrentTime": "2026-12-01T10:00:00Z" }, false],
    ["DateLessThanEquals", "aws:CurrentTime", "2026-12-01T10:00:00Z", { "aws:CurrentTime": "2026-12-01T10:00:00Z" }, true],
    ["DateGreaterThan", "aws:CurrentTime", "2026-12-01", { "aws:CurrentTime": "2026-12-01T00:00:01Z" }, true],
    ["DateGreaterThanEquals", "aws:CurrentTime", "1764547200", { "aws:CurrentTime": "2025-12-01T00:00:00Z" }, true], // epoch seconds
    ["DateGreaterThan", "aws:CurrentTime", "2026-12-01T12:00:00+02:00", { "aws:CurrentTime": "2026-12-01T10:30:00Z" }, true],
    // booleans, binary
    ["Bool", "aws:SecureTransport", "false", { "aws:SecureTransport": "false" }, true],
    ["Bool", "aws:SecureTransport", false, { "aws:SecureTransport": "true" }, false],
    ["Bool", "aws:SecureTransport", "false", {}, false],
    ["BinaryEquals", "aws:UserAgent", "QmluYXJ5", { "aws:UserAgent": "QmluYXJ5" }, true],
    // addresses
    ["IpAddress", "aws:SourceIp", ["192.0.2.0/24", "203.0.113.0/24"], { "aws:SourceIp": "203.0.113.7" }, true],
    ["IpAddress", "aws:SourceIp", "192.0.2.0/24", { "aws:SourceIp": "198.51.100.1" }, false],
    ["IpAddress", "aws:SourceIp", "2001:db8::/32", { "aws:SourceIp": "2001:db8::5" }, true],
    ["NotIpAddress", "aws:SourceIp", "192.0.2.0/24", { "aws:SourceIp": "198.51.100.1" }, true],
    ["NotIpAddress", "aws:SourceIp", "192.0.2.0/24", { "aws:SourceIp": "192.0.2.1" }, false],
    // ARNs
    ["ArnLike", "aws:SourceArn", "arn:aws:s3:::logs-*", { "aws:SourceArn": "arn:aws:s3:::logs-eu" }, true],
    ["ArnLike", "aws:SourceArn", "arn:aws:s3:::logs-*", { "aws:SourceArn": "arn:aws:iam:::logs-eu" }, false], // per part
    ["ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:root", { "aws:PrincipalArn": "arn:aws:iam::abc:root" }, true],
    ["ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:root", { "aws:PrincipalArn": "not-an-arn" }, false],
    ["ArnEquals", "aws:SourceArn", "arn:aws:sns:eu-1:123:topic", { "aws:SourceArn": "arn:aws:sns:eu-1:123:topic" }, true],
    ["ArnNotEquals", "aws:SourceArn", "arn:aws:sns:eu-1:123:topic", { "aws:SourceArn": "arn:aws:sns:eu-1:123:other" }, true],
    ["ArnNotLike", "aws:SourceArn", "arn:aws:sns:*:*:topic", { "aws:SourceArn": "arn:aws:sns:eu-1:123:topic" }, false],
    // ...IfExists
    ["StringEqualsIfExists", "s3:x-amz-server-side-encryption", "AES256", {}, true],
    ["StringEqualsIfExists", "s3:x-amz-server-side-encryption", "AES256", { "s3:x-amz-server-side-encryption": "aws:kms" }, false],
    ["NumericLessThanIfExists", "s3:max-keys", "100", {}, true],
    ["NumericLessThanIfExists", "s3:max-keys", "100", { "s3:max-keys": "1000" }, false],
    // Null
    ["Null", "s3:x-amz-server-side-encryption", "true", {}, true],
    ["Null", "s3:x-amz-server-side-encryption", "true", { "s3:x-amz-server-side-encryption": "AES256" }, false],
    ["Null", "s3:x-amz-server-side-encryption", "false", { "s3:x-amz-server-side-encryption": "AES256" }, true],
    ["Null", "s3:x-amz-server-side-encryption", false, {}, false],
    // set operators over a multivalued key
    ["ForAnyValue:StringEquals", "s3:RequestObjectTagKeys", ["env", "team"], { "s3:RequestObjectTagKeys": ["env", "x"] }, true],
    ["ForAnyValue:StringEquals", "s3:RequestObjectTagKeys", ["env", "team"], { "s3:RequestObjectTagKeys": ["x", "y"] }, false],
    ["ForAnyValue:StringEquals", "s3:RequestObjectTagKeys", "env", {}, false], // missing set: false
    ["ForAnyValue:StringEquals", "s3:RequestObjectTagKeys", "env", { "s3:RequestObjectTagKeys": [] }, false],
    ["ForAnyValue:StringNotEquals", "s3:RequestObjectTagKeys", "env", { "s3:RequestObjectTagKeys": ["env", "x"] }, true],
    ["ForAnyValue:StringNotEquals", "s3:RequestObjectTagKeys", "env", { "s3:RequestObjectTagKeys": ["env"] }, false],
    ["ForAllValues:StringEquals", "s3:RequestObjectTagKeys", ["env", "team"], { "s3:RequestObjectTagKeys": ["env", "team"] }, true],
    ["ForAllValues:StringEquals", "s3:RequestObjectTagKeys", ["env", "team"], { "s3:RequestObjectTagKeys": ["env", "x"] }, false],
    ["ForAllValues:StringEquals", "s3:RequestObjectTagKeys", ["env"], {}, true], // missing set: true
    ["ForAllValues:StringLike", "s3:RequestObjectTagKeys", "pub-*", { "s3:RequestObjectTagKeys": ["pub-a", "pub-b"] }, true],
    ["ForAllValues:StringNotEquals", "s3:RequestObjectTagKeys", ["secret"], { "s3:RequestObjectTagKeys": ["a", "b"] }, true],
    ["ForAllValues:StringNotEquals", "s3:RequestObjectTagKeys", ["secret"], { "s3:RequestObjectTagKeys": ["a", "secret"] }, false],
    ["ForAnyValue:StringEqualsIfExists", "s3:RequestObjectTagKeys", "env", {}, true],
    // tag keys keep their case; key names do not
    ["StringEquals", "s3:ExistingObjectTag/Project", "x", { "s3:existingobjecttag/Project": "x" }, true],
    ["StringEquals", "s3:ExistingObjectTag/Project", "x", { "s3:ExistingObjectTag/project": "x" }, false],
    ["StringEquals", "AWS:SOURCEIP", "x", { "aws:sourceip": "x" }, true],
  ])("%s {%s: %j} with %j = %s", (operator, key, policyValues, request, expected) => {
    expect(holds(operator, key, policyValues, request)).toBe(expected);
  });
});

describe("condition blocks", () => {
  it("ANDs operators and keys", () => {
    const conditions = parseConditionBlock({
      StringEquals: { "s3:prefix": "a", "s3:delimiter": "/" },
      IpAddress: { "aws:SourceIp": "192.0.2.0/24" },
    });
    expect(conditions).toHaveLength(3);
    const all = (v: Values) => conditions.every((c) => conditionHolds(c, ctx(v), null));
    expect(all({ "s3:prefix": "a", "s3:delimiter": "/", "aws:SourceIp": "192.0.2.9" })).toBe(true);
    expect(all({ "s3:prefix": "a", "s3:delimiter": "/", "aws:SourceIp": "192.0.3.9" })).toBe(false);
    expect(all({ "s3:prefix": "a", "aws:SourceIp": "192.0.2.9" })).toBe(false);
  });

  it.each<[string, unknown, string]>([
    ["an unknown operator", { StringEqualz: { "s3:prefix": "a" } }, "Invalid Condition type : StringEqualz"],
    ["Null with IfExists", { NullIfExists: { "s3:prefix": "a" } }, "Invalid Condition type : NullIfExists"],
    ["a set operator on Null", { "ForAnyValue:Null": { "s3:prefix": "a" } }, "Invalid Condition type : ForAnyValue:Null"],
    ["an unknown S3 key", { StringEquals: { "s3:nosuchkey": "a" } }, "Policy has an invalid condition key"],
    ["a key of another service", { StringEquals: { "ec2:Vpc": "a" } }, "Policy has an invalid condition key"],
    ["a tag key without a tag", { StringEquals: { "s3:ExistingObjectTag/": "a" } }, "Policy has an invalid condition key"],
    ["a number that is not one", { NumericLessThan: { "s3:max-keys": "ten" } }, 'Invalid value "ten" for condition operator NumericLessThan'],
    ["a date that is not one", { DateLessThan: { "aws:CurrentTime": "tomorrow" } }, 'Invalid value "tomorrow" for condition operator DateLessThan'],
    ["a Bool that is not one", { Bool: { "aws:SecureTransport": "yes" } }, 'Invalid value "yes" for condition operator Bool'],
    ["a block that is not one", { IpAddress: { "aws:SourceIp": "192.0.2.0/40" } }, 'Invalid value "192.0.2.0/40" for condition operator IpAddress'],
    ["an object as a value", { StringEquals: { "s3:prefix": { a: 1 } } }, "Invalid policy syntax."],
    ["no values", { StringEquals: { "s3:prefix": [] } }, "Condition key s3:prefix has no value"],
    ["no keys", { StringEquals: {} }, "Condition operator StringEquals names no condition key"],
    ["a list as the block", [{ StringEquals: { "s3:prefix": "a" } }], "Invalid policy syntax."],
  ])("refuses %s", (_, block, message) => {
    expect(() => parseConditionBlock(block)).toThrowError(expect.objectContaining({ code: "MalformedPolicy", status: 400, message }));
  });

  it("knows the keys the issue lists", () => {
    for (const key of [
      "aws:SourceIp",
      "aws:SecureTransport",
      "aws:CurrentTime",
      "aws:PrincipalType",
      "aws:Referer",
      "aws:UserAgent",
      "s3:prefix",
      "s3:delimiter",
      "s3:max-keys",
      "s3:x-amz-acl",
      "s3:x-amz-grant-read",
      "s3:x-amz-grant-full-control",
      "s3:x-amz-copy-source",
      "s3:ExistingObjectTag/k",
      "s3:RequestObjectTag/k",
      "s3:RequestObjectTagKeys",
      "s3:VersionId",
      "s3:x-amz-server-side-encryption",
      "s3:x-amz-server-side-encryption-customer-algorithm",
      "s3:signatureversion",
      "s3:authType",
      "s3:x-amz-object-ownership",
    ])
      expect(isKnownKey(key), key).toBe(true);
  });

  it("reads dates as IAM does", () => {
    expect(parseDate("2026-12-01")).toBe(Date.UTC(2026, 11, 1));
    expect(parseDate("2026-12-01T10:00:00Z")).toBe(Date.UTC(2026, 11, 1, 10));
    expect(parseDate("2026-12-01T10:00:00")).toBe(Date.UTC(2026, 11, 1, 10));
    expect(parseDate("0")).toBe(0);
    expect(parseDate("Tue, 01 Dec 2026")).toBeNull();
  });
});
