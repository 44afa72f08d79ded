import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { S3Error } from "../errors";
import { checkPartKey, checkReadKey, checkSingleEncryption, parseSsec, ssecResponseHeaders, type SsecHeaders } from "./ssec";

const md5 = async (b: Uint8Array) => new Uint8Array(createHash("md5").update(b).digest());
const KEY = Buffer.alloc(32, 7);
const KEY_B64 = KEY.toString("base64");
const KEY_MD5 = createHash("md5").update(KEY).digest("base64");
const OTHER_MD5 = createHash("md5").update(Buffer.alloc(32, 8)).digest("base64");
const opts = { secure: true, requireSecure: true, md5 };

function triple(prefix: string, values: { algorithm?: string; key?: string; md5?: string }): Headers {
  const h = new Headers();
  if (values.algorithm !== undefined) h.set(`${prefix}algorithm`, values.algorithm);
  if (values.key !== undefined) h.set(`${prefix}key`, values.key);
  if (values.md5 !== undefined) h.set(`${prefix}key-MD5`, values.md5);
  return h;
}

async function failure(p: Promise<unknown>): Promise<{ code: string; status: number; message: string; details: unknown }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof S3Error) return { code: e.code, status: e.status, message: e.message, details: e.details };
    throw e;
  }
  throw new Error("expected an S3Error");
}

describe.each<[SsecHeaders, string]>([
  ["target", "x-amz-server-side-encryption-customer-"],
  ["copy-source", "x-amz-copy-source-server-side-encryption-customer-"],
])("parseSsec(%s)", (which, prefix) => {
  const full = { algorithm: "AES256", key: KEY_B64, md5: KEY_MD5 };

  it("returns null without any of the headers, and the key with its MD5 with all three", async () => {
    expect(await parseSsec(new Headers(), which, opts)).toBeNull();
    expect(await parseSsec(triple(prefix, full), which, opts)).toEqual({ keyBase64: KEY_B64, keyMd5: KEY_MD5 });
  });

  it.each<[string, { algorithm?: string; key?: string; md5?: string }, string, string]>([
    [
      "no algorithm",
      { key: KEY_B64, md5: KEY_MD5 },
      "InvalidArgument",
      "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.",
    ],
    [
      "no key",
      { algorithm: "AES256", md5: KEY_MD5 },
      "InvalidArgument",
      "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.",
    ],
    [
      "no MD5",
      { algorithm: "AES256", key: KEY_B64 },
      "InvalidArgument",
      "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.",
    ],
    [
      "a 128-bit key",
      { algorithm: "AES256", key: Buffer.alloc(16, 1).toString("base64"), md5: KEY_MD5 },
      "InvalidArgument",
      "The secret key was invalid for the specified algorithm.",
    ],
    [
      "a key that is not base64",
      { algorithm: "AES256", key: "not base64!", md5: KEY_MD5 },
      "InvalidArgument",
      "The secret key was invalid for the specified algorithm.",
    ],
    ["a wrong MD5", { ...full, md5: OTHER_MD5 }, "InvalidArgument", "The calculated MD5 hash of the key did not match the hash that was provided."],
    [
      "AES128",
      { ...full, algorithm: "AES128" },
      "InvalidEncryptionAlgorithmError",
      "The encryption request you specified is not valid. The valid value is AES256.",
    ],
  ])("refuses %s", async (_, values, code, message) => {
    expect(await failure(parseSsec(triple(prefix, values), which, opts))).toMatchObject({ code, status: 400, message });
  });

  it("never echoes the key in an error", async () => {
    const f = await failure(parseSsec(triple(prefix, { ...full, md5: OTHER_MD5 }), which, opts));
    expect(JSON.stringify(f)).not.toContain(KEY_B64);
  });

  it("refuses plain HTTP when HTTPS is required, and allows it when it is not", async () => {
    expect(await failure(parseSsec(triple(prefix, full), which, { ...opts, secure: false }))).toMatchObject({
      code: "InvalidRequest",
      status: 400,
      message: "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.",
    });
    expect(await parseSsec(triple(prefix, full), which, { ...opts, secure: false, requireSecure: false })).toEqual({ keyBase64: KEY_B64, keyMd5: KEY_MD5 });
  });
});

it("ignores the other family's headers", async () => {
  const h = triple("x-amz-copy-source-server-side-encryption-customer-", { algorithm: "AES256", key: KEY_B64, md5: KEY_MD5 });
  expect(await parseSsec(h, "target", opts)).toBeNull();
});

describe("checks", () => {
  const given = { keyBase64: KEY_B64, keyMd5: KEY_MD5 };
  const wrong = { keyBase64: "x", keyMd5: OTHER_MD5 };
  const code = (f: () => void) => {
    try {
      f();
      return "ok";
    } catch (e) {
      return `${(e as S3Error).status} ${(e as S3Error).code}`;
    }
  };

  it("checkReadKey answers as S3 for each combination", () => {
    expect(code(() => checkReadKey(null, null))).toBe("ok");
    expect(code(() => checkReadKey(KEY_MD5, given))).toBe("ok");
    expect(code(() => checkReadKey(KEY_MD5, null))).toBe("400 InvalidRequest");
    expect(code(() => checkReadKey(KEY_MD5, wrong))).toBe("403 AccessDenied");
    expect(code(() => checkReadKey(null, given))).toBe("400 InvalidRequest");
  });

  it("checkPartKey requires the upload's key on every part", () => {
    expect(code(() => checkPartKey(null, null))).toBe("ok");
    expect(code(() => checkPartKey(KEY_MD5, given))).toBe("ok");
    expect(code(() => checkPartKey(KEY_MD5, null))).toBe("400 InvalidRequest");
    expect(code(() => checkPartKey(KEY_MD5, wrong))).toBe("400 InvalidArgument");
    expect(code(() => checkPartKey(null, given))).toBe("400 InvalidArgument");
  });

  it("checkSingleEncryption refuses SSE-S3 together with SSE-C", () => {
    expect(code(() => checkSingleEncryption(new Headers({ "x-amz-server-side-encryption": "AES256" }), given))).toBe("400 InvalidArgument");
    expect(code(() => checkSingleEncryption(new Headers({ "x-amz-server-side-encryption": "AES256" }), null))).toBe("ok");
  });

  it("ssecResponseHeaders echoes algorithm and key MD5", () => {
    expect(ssecResponseHeaders(KEY_MD5)).toEqual({
      "x-amz-server-side-encryption-customer-algorithm": "AES256",
      "x-amz-server-side-encryption-customer-key-MD5": KEY_MD5,
    });
    expect(ssecResponseHeaders(null)).toEqual({});
  });
});
