import { describe, expect, it } from "vitest";
import { normalizeKey } from "./conditions";
import { authTypeOf, requestConditionValues, type RequestKeyInput } from "./request-keys";

const ALICE = "a1".repeat(32);
const base = (over: Partial<RequestKeyInput> = {}): RequestKeyInput => ({
  headers: new Headers(),
  query: new URLSearchParams(),
  sourceIp: null,
  secure: false,
  now: Date.UTC(2026, 11, 1, 21, 0, 0),
  caller: { kind: "anonymous" },
  signatureVersion: null,
  authType: null,
  ...over,
});
const get = (input: RequestKeyInput, key: string) => requestConditionValues(input).get(normalizeKey(key));

describe("requestConditionValues", () => {
  it("global keys of an anonymous request", () => {
    const v = requestConditionValues(base({ sourceIp: "203.0.113.7", headers: new Headers({ referer: "https://example.com/", "user-agent": "curl/8" }) }));
    expect(Object.fromEntries(v)).toEqual({
      "aws:sourceip": "203.0.113.7",
      "aws:securetransport": "false",
      "aws:currenttime": "2026-12-01T21:00:00.000Z",
      "aws:epochtime": String(Date.UTC(2026, 11, 1, 21) / 1000),
      "aws:referer": "https://example.com/",
      "aws:useragent": "curl/8",
      "aws:principaltype": "Anonymous",
    });
  });

  it("a user's keys", () => {
    const input = base({
      caller: { kind: "user", id: ALICE, displayName: "alice" },
      secure: true,
      signatureVersion: 4,
      authType: "REST-HEADER",
      bucketOwnerId: "0a",
    });
    expect(get(input, "aws:PrincipalType")).toBe("Account");
    expect(get(input, "aws:userid")).toBe(ALICE);
    expect(get(input, "aws:username")).toBe("alice");
    expect(get(input, "aws:PrincipalArn")).toBe(`arn:aws:iam::${ALICE}:root`);
    expect(get(input, "aws:SecureTransport")).toBe("true");
    expect(get(input, "s3:signatureversion")).toBe("AWS4-HMAC-SHA256");
    expect(get(input, "s3:authType")).toBe("REST-HEADER");
    expect(get(input, "s3:ResourceAccount")).toBe("0a");
    expect(get(base({ signatureVersion: 2 }), "s3:signatureversion")).toBe("AWS");
  });

  it("headers and query parameters that are S3 keys, and only those present", () => {
    const input = base({
      headers: new Headers({
        "x-amz-acl": "public-read",
        "x-amz-grant-read": 'id="x"',
        "x-amz-copy-source": "/src/k",
        "x-amz-server-side-encryption": "AES256",
        "x-amz-server-side-encryption-customer-algorithm": "AES256",
        "x-amz-object-ownership": "BucketOwnerEnforced",
      }),
      query: new URLSearchParams({ prefix: "home/", delimiter: "/", "max-keys": "10", versionId: "v1" }),
    });
    const v = requestConditionValues(input);
    expect(v.get("s3:x-amz-acl")).toBe("public-read");
    expect(v.get("s3:x-amz-grant-read")).toBe('id="x"');
    expect(v.get("s3:x-amz-copy-source")).toBe("/src/k");
    expect(v.get("s3:x-amz-server-side-encryption")).toBe("AES256");
    expect(v.get("s3:x-amz-server-side-encryption-customer-algorithm")).toBe("AES256");
    expect(v.get("s3:x-amz-object-ownership")).toBe("BucketOwnerEnforced");
    expect(v.get("s3:prefix")).toBe("home/");
    expect(v.get("s3:delimiter")).toBe("/");
    expect(v.get("s3:max-keys")).toBe("10");
    expect(v.get("s3:versionid")).toBe("v1");
    expect(v.has("s3:x-amz-grant-write")).toBe(false);
    expect(requestConditionValues(base()).has("s3:prefix")).toBe(false);
  });

  it("existing and requested tags", () => {
    const v = requestConditionValues(
      base({
        existingTags: [{ key: "Env", value: "prod" }],
        requestTags: [
          { key: "Owner", value: "alice" },
          { key: "Team", value: "x" },
        ],
      }),
    );
    expect(v.get("s3:existingobjecttag/Env")).toBe("prod");
    expect(v.get("s3:requestobjecttag/Owner")).toBe("alice");
    expect(v.get("s3:requestobjecttagkeys")).toEqual(["Owner", "Team"]);
    expect(requestConditionValues(base({ requestTags: [] })).get("s3:requestobjecttagkeys")).toEqual([]);
    expect(requestConditionValues(base()).has("s3:requestobjecttagkeys")).toBe(false);
  });

  it("authTypeOf", () => {
    const header = new Request("https://x.test/b/k", { headers: { authorization: "AWS4-HMAC-SHA256 ..." } });
    const query = new Request("https://x.test/b/k?X-Amz-Signature=abc");
    expect(authTypeOf(header, true, false)).toBe("REST-HEADER");
    expect(authTypeOf(query, true, false)).toBe("REST-QUERY-STRING");
    expect(authTypeOf(header, true, true)).toBe("POST");
    expect(authTypeOf(query, false, false)).toBeNull();
  });
});
