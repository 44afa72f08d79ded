import { describe, expect, it } from "vitest";
import { S3Error } from "../errors";
import { checkPostPolicy, decodePostPolicy, type PostRequestFacts } from "./post-policy";

const b64 = (o: unknown) => Buffer.from(typeof o === "string" ? o : JSON.stringify(o)).toString("base64");
const FUTURE = "2099-01-01T00:00:00.000Z";

function err(f: () => unknown): { code: string; status: number; message: string; details: unknown } | "ok" {
  try {
    f();
    return "ok";
  } catch (e) {
    if (!(e instanceof S3Error)) throw e;
    return { code: e.code, status: e.status, message: e.message, details: e.details };
  }
}

describe("decodePostPolicy", () => {
  it("reads both condition forms, lowercasing field names", () => {
    const p = decodePostPolicy(
      b64({
        expiration: FUTURE,
        conditions: [{ bucket: "b" }, ["starts-with", "$Key", "u/"], ["eq", "$Content-Type", "image/png"], ["content-length-range", 1, 10]],
      }),
    );
    expect(p).toEqual({
      expiration: Date.parse(FUTURE),
      conditions: [
        { op: "eq", field: "bucket", value: "b" },
        { op: "starts-with", field: "key", value: "u/" },
        { op: "eq", field: "content-type", value: "image/png" },
        { op: "content-length-range", min: 1, max: 10 },
      ],
    });
  });

  it.each<[string, string, string]>([
    ["not base64", "%%%", "Invalid Policy: Invalid JSON."],
    ["not JSON", b64("{nope"), "Invalid Policy: Invalid JSON."],
    ["no expiration", b64({ conditions: [] }), "Invalid Policy: Policy missing expiration."],
    ["a bad expiration", b64({ expiration: "tomorrow", conditions: [] }), "Invalid Policy: Invalid 'expiration' value: 'tomorrow'"],
    ["no conditions", b64({ expiration: FUTURE }), "Invalid Policy: Policy missing conditions."],
    ["an unknown operator", b64({ expiration: FUTURE, conditions: [["matches", "$key", "x"]] }), 'Invalid Policy: Invalid Condition: ["matches","$key","x"]'],
    ["a field without $", b64({ expiration: FUTURE, conditions: [["eq", "key", "x"]] }), 'Invalid Policy: Invalid Condition: ["eq","key","x"]'],
    [
      "a reversed range",
      b64({ expiration: FUTURE, conditions: [["content-length-range", 10, 1]] }),
      'Invalid Policy: Invalid Condition: ["content-length-range",10,1]',
    ],
  ])("InvalidPolicyDocument for %s", (_, policy, message) => {
    expect(err(() => decodePostPolicy(policy))).toMatchObject({ code: "InvalidPolicyDocument", status: 400, message });
  });
});

describe("checkPostPolicy", () => {
  const policy = decodePostPolicy(
    b64({
      expiration: FUTURE,
      conditions: [
        { bucket: "photos" },
        ["starts-with", "$key", "user/eric/"],
        ["starts-with", "$Content-Type", "image/"],
        ["eq", "$x-amz-meta-tag", "blue"],
        ["starts-with", "$success_action_redirect", ""],
        ["content-length-range", 10, 1000],
      ],
    }),
  );
  const facts = (f: Partial<PostRequestFacts> = {}, fields: Record<string, string> = {}): PostRequestFacts => ({
    now: Date.parse("2030-01-01T00:00:00Z"),
    bucket: "photos",
    key: "user/eric/a.png",
    fileLength: 100,
    ...f,
    fields: new Map(
      Object.entries({
        key: "user/eric/${filename}",
        "content-type": "image/png",
        "x-amz-meta-tag": "blue",
        policy: "p",
        "x-amz-signature": "s",
        "x-ignore-me": "1",
        ...fields,
      }),
    ),
  });

  it("accepts a form that satisfies every condition", () => {
    expect(err(() => checkPostPolicy(policy, facts()))).toBe("ok");
    expect(err(() => checkPostPolicy(policy, facts({}, { "content-type": "image/png, image/jpeg", success_action_redirect: "https://x" })))).toBe("ok");
  });

  it.each<[string, Partial<PostRequestFacts>, Record<string, string>, string]>([
    ["another bucket", { bucket: "other" }, {}, 'Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "photos"]'],
    ["a key outside the prefix", { key: "user/bob/a.png" }, {}, 'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "user/eric/"]'],
    [
      "one Content-Type of a list outside the prefix",
      {},
      { "content-type": "image/png, text/html" },
      'Invalid according to Policy: Policy Condition failed: ["starts-with", "$content-type", "image/"]',
    ],
    [
      "a metadata value that differs",
      {},
      { "x-amz-meta-tag": "red" },
      'Invalid according to Policy: Policy Condition failed: ["eq", "$x-amz-meta-tag", "blue"]',
    ],
    ["a field no condition covers", {}, { "x-amz-meta-extra": "1" }, "Invalid according to Policy: Extra input fields: x-amz-meta-extra"],
    ["an expired policy", { now: Date.parse("2100-01-01T00:00:00Z") }, {}, "Invalid according to Policy: Policy expired."],
  ])("AccessDenied for %s", (_, f, fields, message) => {
    expect(err(() => checkPostPolicy(policy, facts(f, fields)))).toMatchObject({ code: "AccessDenied", status: 403, message });
  });

  it("bounds the file size with content-length-range", () => {
    expect(err(() => checkPostPolicy(policy, facts({ fileLength: 9 })))).toMatchObject({
      code: "EntityTooSmall",
      details: { ProposedSize: 9, MinSizeAllowed: 10 },
    });
    expect(err(() => checkPostPolicy(policy, facts({ fileLength: 1001 })))).toMatchObject({
      code: "EntityTooLarge",
      details: { ProposedSize: 1001, MaxSizeAllowed: 1000 },
    });
    expect(err(() => checkPostPolicy(policy, facts({ fileLength: 1000 })))).toBe("ok");
  });
});
