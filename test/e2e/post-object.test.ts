/**
 * POST Object (browser form uploads) over real HTTP: SigV4 and SigV2 policy signatures, policy
 * conditions, success_action_status / success_action_redirect, the 16 MB limit, and that a
 * refused upload stores nothing.
 */
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formBody, signedPostFields } from "../support/post-form";
import { r2Keys, ROOT, startWorker, streamToBuffer, type Harness } from "./harness";

const B = "forms";
let h: Harness;
let s3: S3Client;

beforeAll(async () => {
  h = await startWorker({ SOS_REQUIRE_HTTPS_FOR_SSEC: "false" });
  s3 = h.client();
  await s3.send(new CreateBucketCommand({ Bucket: B }));
});
afterAll(() => h?.dispose());

const md5hex = (b: Buffer) => createHash("md5").update(b).digest("hex");

/** The form fields of a SigV4-signed policy for the root key (or another secret). */
function signedFields(conditions: unknown[], opts: { expiration?: string; secret?: string; date?: Date; rawPolicy?: string } = {}): Record<string, string> {
  return signedPostFields({ accessKeyId: ROOT.accessKeyId, secretAccessKey: opts.secret ?? ROOT.secretAccessKey }, conditions, opts);
}

async function post(
  fields: Record<string, string> | [string, string][],
  file?: { filename: string; data: Buffer; name?: string },
  after: [string, string][] = [],
) {
  const { body, contentType } = formBody(Array.isArray(fields) ? fields : Object.entries(fields), file, after);
  const res = await fetch(`${h.url}/${B}`, { method: "POST", body, headers: { "content-type": contentType }, redirect: "manual" });
  const text = await res.text();
  const message = /<Message>([^<]*)<\/Message>/
    .exec(text)?.[1]
    ?.replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
  return { status: res.status, headers: res.headers, text, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1], message };
}

const BASE_CONDITIONS = [{ bucket: B }, ["starts-with", "$key", "uploads/"], ["starts-with", "$Content-Type", "image/"], ["starts-with", "$x-amz-meta-", ""]];

describe("a signed form upload", () => {
  it("stores the file with its metadata and answers 201 with PostResponse", async () => {
    const data = randomBytes(300_000);
    const conditions = [...BASE_CONDITIONS, ["eq", "$x-amz-meta-color", "green"], { success_action_status: "201" }, ["content-length-range", 1, 1_000_000]];
    const r = await post(
      { key: "uploads/${filename}", "Content-Type": "image/png", "x-amz-meta-color": "green", success_action_status: "201", ...signedFields(conditions) },
      { filename: "photo.png", data },
    );
    expect(r.status).toBe(201);
    expect(r.text).toContain(`<Bucket>${B}</Bucket><Key>uploads/photo.png</Key>`);
    expect(r.text).toContain(`<ETag>&quot;${md5hex(data)}&quot;</ETag>`);
    expect(r.headers.get("etag")).toBe(`"${md5hex(data)}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: "uploads/photo.png" }));
    expect(Buffer.compare(await streamToBuffer(got.Body), data)).toBe(0);
    expect(got.ContentType).toBe("image/png");
    expect(got.Metadata).toEqual({ color: "green" });
  });

  it("answers 204 with ETag and Location by default", async () => {
    const data = Buffer.from("hello form");
    const r = await post({ key: "uploads/plain.txt", "Content-Type": "image/x-test", ...signedFields(BASE_CONDITIONS) }, { filename: "x", data });
    expect(r.status).toBe(204);
    expect(r.headers.get("etag")).toBe(`"${md5hex(data)}"`);
    expect(r.headers.get("location")).toBe(`${h.url}/${B}/uploads/plain.txt`);
  });

  it("redirects (303) to success_action_redirect with bucket, key and ETag", async () => {
    const data = Buffer.from("redirected");
    const conditions = [...BASE_CONDITIONS, ["starts-with", "$success_action_redirect", "http://app.test/"]];
    const r = await post(
      { key: "uploads/r.txt", "Content-Type": "image/x", success_action_redirect: "http://app.test/done?x=1", ...signedFields(conditions) },
      { filename: "r", data },
    );
    expect(r.status).toBe(303);
    const loc = new URL(r.headers.get("location")!);
    expect(loc.origin + loc.pathname).toBe("http://app.test/done");
    expect(Object.fromEntries(loc.searchParams)).toEqual({ x: "1", bucket: B, key: "uploads/r.txt", etag: `"${md5hex(data)}"` });
  });

  it("works with a form encoded by fetch's own FormData", async () => {
    const fd = new FormData();
    for (const [k, v] of Object.entries({ key: "uploads/fd.bin", "Content-Type": "image/fd", ...signedFields(BASE_CONDITIONS) })) fd.append(k, v);
    const data = randomBytes(5000);
    fd.append("file", new Blob([data]), "fd.bin");
    const res = await fetch(`${h.url}/${B}`, { method: "POST", body: fd });
    expect(res.status).toBe(204);
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: "uploads/fd.bin" }));
    expect(Buffer.compare(await streamToBuffer(got.Body), data)).toBe(0);
  });

  it("accepts a SigV2 policy signature", async () => {
    const policy = Buffer.from(
      JSON.stringify({ expiration: new Date(Date.now() + 60_000).toISOString(), conditions: [{ bucket: B }, ["starts-with", "$key", ""]] }),
    ).toString("base64");
    const signature = createHmac("sha1", ROOT.secretAccessKey).update(policy).digest("base64");
    const r = await post({ key: "v2.txt", AWSAccessKeyId: ROOT.accessKeyId, policy, signature }, { filename: "v2", data: Buffer.from("v2") });
    expect(r.status).toBe(204);
  });

  it("stores an SSE-C upload under the key given in the form", async () => {
    const key = randomBytes(32);
    const ssec = {
      "x-amz-server-side-encryption-customer-algorithm": "AES256",
      "x-amz-server-side-encryption-customer-key": key.toString("base64"),
      "x-amz-server-side-encryption-customer-key-MD5": createHash("md5").update(key).digest("base64"),
    };
    const conditions = [...BASE_CONDITIONS, ...Object.keys(ssec).map((k) => ["starts-with", `$${k}`, ""])];
    const r = await post(
      { key: "uploads/enc", "Content-Type": "image/enc", ...ssec, ...signedFields(conditions) },
      { filename: "e", data: Buffer.from("secret") },
    );
    expect(r.status).toBe(204);
    expect(r.headers.get("x-amz-server-side-encryption-customer-key-md5")).toBe(ssec["x-amz-server-side-encryption-customer-key-MD5"]);
    await expect(s3.send(new GetObjectCommand({ Bucket: B, Key: "uploads/enc" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 400 } });
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: "uploads/enc", SSECustomerAlgorithm: "AES256", SSECustomerKey: key.toString("base64") }));
    expect((await streamToBuffer(got.Body)).toString()).toBe("secret");
  });
});

describe("refused form uploads store nothing", () => {
  const file = { filename: "f", data: randomBytes(2000) };
  const ok = () => ({ key: "uploads/f", "Content-Type": "image/png" });

  it.each<[string, () => Promise<Awaited<ReturnType<typeof post>>>, number, string, RegExp | string]>([
    [
      "a key outside the policy's prefix",
      () => post({ ...ok(), key: "other/f", ...signedFields(BASE_CONDITIONS) }, file),
      403,
      "AccessDenied",
      'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "uploads/"]',
    ],
    [
      "a field the policy does not cover",
      () => post({ ...ok(), "x-amz-storage-class": "STANDARD", ...signedFields(BASE_CONDITIONS) }, file),
      403,
      "AccessDenied",
      "Invalid according to Policy: Extra input fields: x-amz-storage-class",
    ],
    [
      "an expired policy",
      () => post({ ...ok(), ...signedFields(BASE_CONDITIONS, { expiration: "2020-01-01T00:00:00.000Z" }) }, file),
      403,
      "AccessDenied",
      "Invalid according to Policy: Policy expired.",
    ],
    [
      "a file above content-length-range",
      () => post({ ...ok(), ...signedFields([...BASE_CONDITIONS, ["content-length-range", 0, 1000]]) }, file),
      400,
      "EntityTooLarge",
      /maximum allowed/,
    ],
    [
      "a file below content-length-range",
      () => post({ ...ok(), ...signedFields([...BASE_CONDITIONS, ["content-length-range", 5000, 9000]]) }, file),
      400,
      "EntityTooSmall",
      /minimum allowed/,
    ],
    [
      "a signature made with another secret",
      () => post({ ...ok(), ...signedFields(BASE_CONDITIONS, { secret: "wrong" }) }, file),
      403,
      "SignatureDoesNotMatch",
      /signature/,
    ],
    [
      "a policy changed after signing",
      () => post({ ...ok(), ...signedFields(BASE_CONDITIONS), policy: "bm90IGpzb24=" }, file),
      403,
      "SignatureDoesNotMatch",
      /signature/,
    ],
    [
      "a signed policy that is not JSON",
      () => post({ ...ok(), ...signedFields([], { rawPolicy: "{not json" }) }, file),
      400,
      "InvalidPolicyDocument",
      "Invalid Policy: Invalid JSON.",
    ],
    [
      "no key field",
      () => post({ "Content-Type": "image/png", ...signedFields(BASE_CONDITIONS) }, file),
      400,
      "InvalidArgument",
      "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
    ],
    ["no file", () => post({ ...ok(), ...signedFields(BASE_CONDITIONS) }), 400, "InvalidArgument", "POST requires exactly one file upload per request."],
    ["a policy without signature", () => post({ ...ok(), policy: signedFields(BASE_CONDITIONS).policy }, file), 400, "InvalidArgument", /x-amz-signature/],
    ["an anonymous upload to a private bucket", () => post(ok(), file), 403, "AccessDenied", "Access Denied"],
    [
      "a field after the file",
      () => post({ ...ok(), ...signedFields(BASE_CONDITIONS) }, file, [["x-amz-meta-late", "1"]]),
      400,
      "MalformedPOSTRequest",
      /last field/,
    ],
  ])("%s", async (_, send, status, code, message) => {
    const before = (await r2Keys(h.mf)).sort();
    const r = await send();
    expect({ status: r.status, code: r.code }).toEqual({ status, code });
    if (typeof message === "string") expect(r.message).toBe(message);
    else expect(r.message).toMatch(message);
    await expect(s3.send(new HeadObjectCommand({ Bucket: B, Key: "uploads/f" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    expect((await r2Keys(h.mf)).sort()).toEqual(before);
  });

  it("a body that is not multipart/form-data is 412 PreconditionFailed", async () => {
    const res = await fetch(`${h.url}/${B}`, { method: "POST", body: "key=x", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(res.status).toBe(412);
    expect(await res.text()).toContain("<Condition>Bucket POST must be of the enclosure-type multipart/form-data</Condition>");
  });

  it("a file above SOS's 16 MB POST limit is EntityTooLarge", async () => {
    const big = { filename: "big", data: Buffer.alloc(16 * 1024 * 1024 + 1, 1) };
    const r = await post({ ...ok(), ...signedFields(BASE_CONDITIONS) }, big);
    expect({ status: r.status, code: r.code }).toEqual({ status: 400, code: "EntityTooLarge" });
    expect(r.text).toContain("<MaxSizeAllowed>16777216</MaxSizeAllowed>");
  });
});
