/**
 * The attacks of the security review, each reproduced against the Worker in workerd (real D1/R2)
 * and proven refused with the S3 status and code, with D1 and R2 unchanged: replaying a signed
 * request with added x-amz-* headers, a signature made without `host`, floods of bogus access
 * keys (the isolate caches stay bounded), an aws-chunked XML body whose checksum header does not
 * match, CR/LF in a POST Object field, and secrets echoed in error bodies.
 */
import { createHash, createHmac, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, startWorker, type Harness } from "../e2e/harness";
import { createKey, createUser } from "../e2e/principals";
import { formBody, signedPostFields } from "../support/post-form";
import { amzDateOf, closeRawAgent, codeOf, EMPTY_SHA256, presignV4, sendRaw, signV4, type RawRequest } from "../support/raw-signer";
import { changes, snapshot } from "../support/snapshot";

let h: Harness;
const A = "find-a";
const B = "find-b";
const md5 = (b: Buffer | string) => createHash("md5").update(b).digest("base64");

beforeAll(async () => {
  h = await startWorker({ SOS_REQUIRE_HTTPS_FOR_SSEC: "false" }, { entry: "test/adversarial/probe-worker.ts" });
  for (const b of [A, B])
    expect((await sendRaw(signV4(ROOT, { method: "PUT", origin: h.url, path: `/${b}` }, { kind: "signed", data: Buffer.alloc(0) }))).status).toBe(200);
  const put = signV4(ROOT, { method: "PUT", origin: h.url, path: `/${B}/secret.txt` }, { kind: "signed", data: Buffer.from("the secret") });
  expect((await sendRaw(put)).status).toBe(200);
});
afterAll(async () => {
  closeRawAgent();
  await h?.dispose();
});

/** Sends each request, expects every one refused with `status`/`code`, and D1 + R2 unchanged. */
async function expectRefused(requests: RawRequest[], status: number, code: string): Promise<string[]> {
  const before = await snapshot(h.mf);
  const bodies: string[] = [];
  for (const r of requests) {
    const res = await sendRaw(r);
    expect([res.status, codeOf(res.body)], res.body).toEqual([status, code]);
    bodies.push(res.body);
  }
  expect(changes(before, await snapshot(h.mf))).toEqual([]);
  return bodies;
}

const withHeaders = (r: RawRequest, extra: Record<string, string>): RawRequest => ({ ...r, headers: { ...r.headers, ...extra } });

describe("a signed request means only what was signed", () => {
  // Signed as botocore signs a plain PUT: SignedHeaders host;x-amz-content-sha256;x-amz-date.
  const signedPut = () => signV4(ROOT, { method: "PUT", origin: h.url, path: `/${A}/pub.txt` }, { kind: "signed", data: Buffer.alloc(0) });

  it("refuses the replay that copies a private object of another bucket and makes it public", async () => {
    const r = signedPut();
    expect(r.headers.authorization).toContain("SignedHeaders=host;x-amz-content-sha256;x-amz-date,");
    const [body] = await expectRefused([withHeaders(r, { "x-amz-copy-source": `/${B}/secret.txt`, "x-amz-acl": "public-read" })], 403, "AccessDenied");
    expect(body).toContain("<Message>There were headers present in the request which were not signed</Message>");
    expect(body).toContain("<HeadersNotSigned>x-amz-acl, x-amz-copy-source</HeadersNotSigned>");
    expect((await fetch(`${h.url}/${A}/pub.txt`)).status).toBe(403); // nothing was made public
  });

  it("refuses the replay that adds a foreign SSE-C key, and every other added x-amz-* header", async () => {
    const key = randomBytes(32);
    const ssec = {
      "x-amz-server-side-encryption-customer-algorithm": "AES256",
      "x-amz-server-side-encryption-customer-key": key.toString("base64"),
      "x-amz-server-side-encryption-customer-key-md5": md5(key),
    };
    const extra = [
      "x-amz-grant-full-control",
      "x-amz-meta-evil",
      "x-amz-tagging",
      "x-amz-storage-class",
      "x-amz-website-redirect-location",
      "x-amz-metadata-directive",
    ];
    await expectRefused([withHeaders(signedPut(), ssec), ...extra.map((name) => withHeaders(signedPut(), { [name]: "x" }))], 403, "AccessDenied");
  });

  it("the same request with the headers signed is accepted (the rule refuses only what was not signed)", async () => {
    const r = signV4(
      ROOT,
      { method: "PUT", origin: h.url, path: `/${A}/copied.txt`, headers: { "x-amz-copy-source": `/${B}/secret.txt` } },
      { kind: "signed", data: Buffer.alloc(0) },
    );
    expect((await sendRaw(r)).status).toBe(200);
  });

  it("refuses a header signature that does not cover host", async () => {
    const r = signedPut();
    const day = amzDateOf().slice(0, 8);
    // Re-sign by hand without host: the signature itself is right, the rule refuses it.
    const signed = "x-amz-content-sha256;x-amz-date";
    const canonical = ["PUT", `/${A}/pub.txt`, "", `x-amz-content-sha256:${EMPTY_SHA256}\nx-amz-date:${r.headers["x-amz-date"]}\n`, signed, EMPTY_SHA256].join(
      "\n",
    );
    const scope = `${day}/us-east-1/s3/aws4_request`;
    const hm = (k: Buffer | string, d: string) => createHmac("sha256", k).update(d).digest();
    const key = hm(hm(hm(hm("AWS4" + ROOT.secretAccessKey, day), "us-east-1"), "s3"), "aws4_request");
    const sig = hm(key, ["AWS4-HMAC-SHA256", r.headers["x-amz-date"], scope, createHash("sha256").update(canonical).digest("hex")].join("\n")).toString("hex");
    const noHost = {
      ...r,
      headers: { ...r.headers, authorization: `AWS4-HMAC-SHA256 Credential=${ROOT.accessKeyId}/${scope}, SignedHeaders=${signed}, Signature=${sig}` },
    };
    const [body] = await expectRefused([noHost], 403, "AccessDenied");
    expect(body).toContain("<HeadersNotSigned>host</HeadersNotSigned>");
  });

  it("refuses an unsigned x-amz-* header on a presigned URL and on an aws-chunked upload", async () => {
    const presigned = presignV4(ROOT, { method: "PUT", origin: h.url, path: `/${A}/pre.txt` }, Buffer.from("x"));
    const chunked = signV4(ROOT, { method: "PUT", origin: h.url, path: `/${A}/chunked.txt` }, { kind: "chunked-signed", chunks: [Buffer.from("data")] });
    const trailer = signV4(
      ROOT,
      { method: "PUT", origin: h.url, path: `/${A}/trailer.txt` },
      { kind: "chunked-unsigned-trailer", chunks: [Buffer.from("data")] },
    );
    await expectRefused(
      [presigned, chunked, trailer].map((r) => withHeaders(r, { "x-amz-acl": "public-read" })),
      403,
      "AccessDenied",
    );
  });

  it("SigV2 already covers every x-amz-* header: an added one breaks the signature", async () => {
    const date = new Date().toUTCString();
    const sts = `PUT\n\n\n${date}\n/${A}/v2.txt`;
    const sig = createHmac("sha1", ROOT.secretAccessKey).update(sts).digest("base64");
    const r: RawRequest = {
      method: "PUT",
      origin: h.url,
      path: `/${A}/v2.txt`,
      query: [],
      body: Buffer.from("v2"),
      headers: { host: new URL(h.url).host, date, authorization: `AWS ${ROOT.accessKeyId}:${sig}`, "content-length": "2" },
    };
    await expectRefused(
      [withHeaders(r, { "x-amz-acl": "public-read" }), withHeaders(r, { "x-amz-copy-source": `/${B}/secret.txt` })],
      403,
      "SignatureDoesNotMatch",
    );
    expect((await sendRaw(r)).status).toBe(200);
  });
});

describe("no input can exhaust the isolate caches", () => {
  const bogus = (id: string): RawRequest => {
    const amzDate = amzDateOf();
    return {
      method: "GET",
      origin: h.url,
      path: `/${A}/x`,
      query: [],
      body: Buffer.alloc(0),
      headers: {
        host: new URL(h.url).host,
        "x-amz-date": amzDate,
        "x-amz-content-sha256": EMPTY_SHA256,
        authorization: `AWS4-HMAC-SHA256 Credential=${id}/${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${"0".repeat(64)}`,
      },
    };
  };
  const sizes = async () =>
    (await (await fetch(`${h.url}/__cache-sizes`)).json()) as {
      identity: { known: { entries: number; bytes: number }; unknown: { entries: number; bytes: number } };
      buckets: { entries: number; bytes: number };
      subtleTimingSafeEqual: boolean;
    };

  it("workerd offers crypto.subtle.timingSafeEqual, which signature checks use", async () => {
    expect((await sizes()).subtleTimingSafeEqual).toBe(true);
  });

  it("over a thousand distinct bogus credentials leave every cache under its bound", async () => {
    const ids = [
      ...Array.from({ length: 1000 }, () => "EXO" + randomBytes(12).toString("hex").toUpperCase()), // well-formed, unknown
      ...Array.from({ length: 150 }, () => randomBytes(4096).toString("hex")), // 8 KB: malformed
      ...Array.from({ length: 50 }, () => "short" + randomBytes(2).toString("hex")), // too short
    ];
    const codes = new Map<string, number>();
    for (let i = 0; i < ids.length; i += 32) {
      const batch = await Promise.all(ids.slice(i, i + 32).map((id) => sendRaw(bogus(id))));
      for (const r of batch) codes.set(`${r.status} ${codeOf(r.body)}`, (codes.get(`${r.status} ${codeOf(r.body)}`) ?? 0) + 1);
    }
    expect(Object.fromEntries(codes)).toEqual({ "403 InvalidAccessKeyId": ids.length });
    const s = await sizes();
    expect(s.identity.unknown.entries).toBeLessThanOrEqual(256);
    expect(s.identity.unknown.bytes).toBeLessThanOrEqual(64 << 10);
    expect(s.identity.known.entries).toBeLessThanOrEqual(2); // only real keys (root) are kept
    expect(s.identity.known.bytes).toBeLessThanOrEqual(1 << 20);
    expect(s.buckets.entries).toBeLessThanOrEqual(1000);
    expect(s.buckets.bytes).toBeLessThanOrEqual(4 << 20);
    // The real key still works after the flood.
    expect((await sendRaw(signV4(ROOT, { method: "GET", origin: h.url, path: `/${B}/secret.txt` }, { kind: "signed", data: Buffer.alloc(0) }))).status).toBe(
      200,
    );
  });

  it("a malformed id is not echoed back at length", async () => {
    const res = await sendRaw(bogus("Z".repeat(5000)));
    expect(codeOf(res.body)).toBe("InvalidAccessKeyId");
    expect(res.body).not.toContain("Z".repeat(200));
  });

  it("a disabled key says it is disabled (still 403 InvalidAccessKeyId)", async () => {
    const user = await createUser(h, "disabled-key-owner");
    const key = await createKey(h, user.userId);
    expect((await h.admin("PATCH", `/_admin/keys/${key.accessKeyId}`, { enabled: false })).status).toBe(200);
    const res = await sendRaw(signV4(key, { method: "GET", origin: h.url, path: "/" }, { kind: "signed", data: Buffer.alloc(0) }));
    expect([res.status, codeOf(res.body)]).toEqual([403, "InvalidAccessKeyId"]);
    expect(res.body).toContain("<Message>The AWS Access Key Id you provided is disabled.</Message>");
  });
});

describe("XML bodies follow the object-body integrity rules", () => {
  const deleteXml = Buffer.from(`<Delete><Object><Key>secret.txt</Key></Object></Delete>`);
  const wrongCrc = "AAAAAA==";

  it("an aws-chunked DeleteObjects whose x-amz-checksum-crc32 header does not match: BadDigest, nothing deleted", async () => {
    // No trailer: the header is the only checksum, as the SDK sends it for a buffered body.
    const framed = Buffer.concat([Buffer.from(`${deleteXml.length.toString(16)}\r\n`), deleteXml, Buffer.from("\r\n0\r\n\r\n")]);
    const headers = { "content-encoding": "aws-chunked", "x-amz-decoded-content-length": String(deleteXml.length), "x-amz-checksum-crc32": wrongCrc };
    const r = signV4(
      ROOT,
      { method: "POST", origin: h.url, path: `/${B}`, query: [["delete", ""]], headers },
      {
        kind: "literal",
        payload: "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        data: framed,
      },
    );
    await expectRefused([r], 400, "BadDigest");
  });

  it("a DeleteObjects whose crc32 trailer does not match: BadDigest, nothing deleted", async () => {
    const r = signV4(
      ROOT,
      { method: "POST", origin: h.url, path: `/${B}`, query: [["delete", ""]] },
      { kind: "chunked-unsigned-trailer", chunks: [deleteXml] },
    );
    r.body = Buffer.from(r.body.toString("latin1").replace(/x-amz-checksum-crc32:[^\r]+/, `x-amz-checksum-crc32:${wrongCrc}`), "latin1");
    await expectRefused([r], 400, "BadDigest");
    expect((await sendRaw(signV4(ROOT, { method: "GET", origin: h.url, path: `/${B}/secret.txt` }, { kind: "signed", data: Buffer.alloc(0) }))).status).toBe(
      200,
    );
  });
});

describe("POST Object form fields", () => {
  it("CR/LF in a field that becomes a header: 400 InvalidArgument, nothing stored", async () => {
    const cases: [string, string][] = [
      ["x-amz-meta-note", "a\r\nx-amz-acl: public-read"],
      ["Content-Type", "text/plain\nx: y"],
      ["Cache-Control", "no-cache\r"],
    ];
    const requests = cases.map(([name, value]) => {
      const fields = {
        key: "form.txt",
        [name]: value,
        ...signedPostFields(ROOT, [{ bucket: A }, ["starts-with", "$key", ""], ["starts-with", `$${name}`, ""]]),
      };
      const { body, contentType } = formBody(Object.entries(fields), { filename: "f.txt", data: Buffer.from("form data") });
      return {
        method: "POST",
        origin: h.url,
        path: `/${A}`,
        query: [],
        body,
        headers: { host: new URL(h.url).host, "content-type": contentType, "content-length": String(body.length) },
      } as RawRequest;
    });
    const bodies = await expectRefused(requests, 400, "InvalidArgument");
    expect(bodies[0]).toContain("<ArgumentName>x-amz-meta-note</ArgumentName>");
  });
});

describe("no secret material in error bodies", () => {
  it("an unsupported Authorization value (a bearer token) is not echoed", async () => {
    const token = "Bearer sk-" + randomBytes(16).toString("hex");
    const res = await fetch(`${h.url}/${A}/x`, { headers: { authorization: token } });
    const body = await res.text();
    expect([res.status, codeOf(body)]).toEqual([400, "InvalidArgument"]);
    expect(body).not.toContain(token.slice(7));
  });
  it("SignatureDoesNotMatch echoes what S3 echoes, never the secret or the expected signature", async () => {
    const r = signV4(
      { accessKeyId: ROOT.accessKeyId, secretAccessKey: "wrong-secret" },
      { method: "GET", origin: h.url, path: `/${A}/x` },
      { kind: "signed", data: Buffer.alloc(0) },
    );
    const right = signV4(
      ROOT,
      { method: "GET", origin: h.url, path: `/${A}/x` },
      { kind: "signed", data: Buffer.alloc(0) },
      new Date(Number(new Date(iso(r.headers["x-amz-date"]!)))),
    );
    const res = await sendRaw(r);
    expect(codeOf(res.body)).toBe("SignatureDoesNotMatch");
    expect(res.body).toContain("<StringToSign>");
    expect(res.body).not.toContain(ROOT.secretAccessKey);
    expect(res.body).not.toContain(/Signature=([0-9a-f]{64})/.exec(right.headers.authorization!)![1]);
  });
});

const iso = (amz: string) => `${amz.slice(0, 4)}-${amz.slice(4, 6)}-${amz.slice(6, 8)}T${amz.slice(9, 11)}:${amz.slice(11, 13)}:${amz.slice(13, 15)}Z`;
