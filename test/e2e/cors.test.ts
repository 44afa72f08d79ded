/**
 * Bucket CORS over real HTTP: the configuration operations (AWS SDK), unsigned preflights, and
 * the CORS headers on actual responses, errors included. The browser itself is exercised by
 * test/browser/browser.test.ts.
 */
import {
  CreateBucketCommand,
  DeleteBucketCorsCommand,
  GetBucketCorsCommand,
  PutBucketCorsCommand,
  PutObjectCommand,
  type CORSRule,
  type S3Client,
} from "@aws-sdk/client-s3";
import { AwsClient } from "aws4fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, startWorker, type Harness } from "./harness";

const B = "cors";
const APP = "https://app.example";
const VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";
let h: Harness;
let s3: S3Client;
let raw: AwsClient;

const RULES: CORSRule[] = [
  {
    ID: "app",
    AllowedOrigins: [APP],
    AllowedMethods: ["GET", "PUT", "HEAD"],
    AllowedHeaders: ["*"],
    ExposeHeaders: ["ETag", "x-amz-request-id"],
    MaxAgeSeconds: 600,
  },
  { AllowedOrigins: ["*"], AllowedMethods: ["GET"] },
];

beforeAll(async () => {
  h = await startWorker();
  s3 = h.client();
  raw = new AwsClient({ ...ROOT, service: "s3", region: "us-east-1", retries: 0 });
  await s3.send(new CreateBucketCommand({ Bucket: B }));
  await s3.send(new CreateBucketCommand({ Bucket: "no-cors" }));
  await s3.send(new PutObjectCommand({ Bucket: B, Key: "hello.txt", Body: "hello" }));
});
afterAll(() => h?.dispose());

async function failure(p: Promise<unknown>): Promise<{ status?: number; code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { $metadata?: { httpStatusCode?: number }; Code?: string; name: string; message: string };
    return { status: err.$metadata?.httpStatusCode, code: err.Code ?? err.name, message: err.message };
  }
  throw new Error("expected the request to fail");
}

function corsHeaders(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  res.headers.forEach((v, k) => {
    if (k.startsWith("access-control-") || k === "vary") out[k] = v;
  });
  return out;
}

describe("Put/Get/DeleteBucketCors", () => {
  it("has no configuration at first, stores one, returns it, deletes it", async () => {
    expect(await failure(s3.send(new GetBucketCorsCommand({ Bucket: B })))).toMatchObject({ status: 404, code: "NoSuchCORSConfiguration" });
    await s3.send(new PutBucketCorsCommand({ Bucket: B, CORSConfiguration: { CORSRules: RULES } }));
    const got = await s3.send(new GetBucketCorsCommand({ Bucket: B }));
    expect(got.CORSRules).toEqual([
      {
        ID: "app",
        AllowedOrigins: [APP],
        AllowedMethods: ["GET", "PUT", "HEAD"],
        AllowedHeaders: ["*"],
        ExposeHeaders: ["ETag", "x-amz-request-id"],
        MaxAgeSeconds: 600,
      },
      { AllowedOrigins: ["*"], AllowedMethods: ["GET"] },
    ]);
    await s3.send(new PutBucketCorsCommand({ Bucket: "no-cors", CORSConfiguration: { CORSRules: RULES } }));
    await s3.send(new DeleteBucketCorsCommand({ Bucket: "no-cors" }));
    expect((await failure(s3.send(new GetBucketCorsCommand({ Bucket: "no-cors" })))).code).toBe("NoSuchCORSConfiguration");
  });

  it.each<[string, CORSRule[], string, string | RegExp]>([
    [
      "an unsupported method",
      [{ AllowedOrigins: ["*"], AllowedMethods: ["PATCH"] }],
      "InvalidRequest",
      "Found unsupported HTTP method in CORS config. Unsupported method is PATCH",
    ],
    [
      "an origin with two wildcards",
      [{ AllowedOrigins: ["https://*.*"], AllowedMethods: ["GET"] }],
      "InvalidRequest",
      'AllowedOrigin "https://*.*" can not have more than one wildcard.',
    ],
    [
      "a header with two wildcards",
      [{ AllowedOrigins: ["*"], AllowedMethods: ["GET"], AllowedHeaders: ["x-*-*"] }],
      "InvalidRequest",
      'AllowedHeader "x-*-*" can not have more than one wildcard.',
    ],
    ["101 rules", Array.from({ length: 101 }, () => ({ AllowedOrigins: ["*"], AllowedMethods: ["GET"] })), "MalformedXML", /not well-formed/],
  ])("refuses %s and keeps the configuration", async (_, rules, code, message) => {
    const f = await failure(s3.send(new PutBucketCorsCommand({ Bucket: B, CORSConfiguration: { CORSRules: rules } })));
    expect(f).toMatchObject({ status: 400, code });
    if (typeof message === "string") expect(f.message).toBe(message);
    else expect(f.message).toMatch(message);
    expect((await s3.send(new GetBucketCorsCommand({ Bucket: B }))).CORSRules).toHaveLength(2);
  });

  it("requires Content-MD5 or a checksum, as S3", async () => {
    const res = await raw.fetch(`${h.url}/${B}?cors`, {
      method: "PUT",
      body: "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("Missing required header for this request: Content-MD5");
  });
});

describe("preflight (OPTIONS), unsigned", () => {
  const preflight = (path: string, headers: Record<string, string>) => fetch(`${h.url}/${path}`, { method: "OPTIONS", headers });

  it("answers 200 from the first matching rule", async () => {
    const res = await preflight(`${B}/hello.txt`, {
      origin: APP,
      "access-control-request-method": "PUT",
      "access-control-request-headers": "authorization, x-amz-date, x-amz-content-sha256",
    });
    expect(res.status).toBe(200);
    expect(corsHeaders(res)).toEqual({
      "access-control-allow-origin": APP,
      "access-control-allow-methods": "GET, PUT, HEAD",
      "access-control-allow-headers": "authorization, x-amz-date, x-amz-content-sha256",
      "access-control-expose-headers": "ETag, x-amz-request-id",
      "access-control-max-age": "600",
      "access-control-allow-credentials": "true",
      vary: VARY,
    });
    const other = await preflight(B, { origin: "https://else.example", "access-control-request-method": "GET" });
    expect(other.status).toBe(200);
    expect(corsHeaders(other)).toEqual({ "access-control-allow-origin": "*", "access-control-allow-methods": "GET", vary: VARY });
  });

  it("403 AccessForbidden when no rule matches, or the bucket has no configuration", async () => {
    const denied = await preflight(`${B}/hello.txt`, { origin: "https://else.example", "access-control-request-method": "DELETE" });
    expect(denied.status).toBe(403);
    const text = await denied.text();
    expect(text).toContain("<Code>AccessForbidden</Code>");
    expect(text).toContain("<Message>CORSResponse: This CORS request is not allowed.");
    expect(text).toContain("<Method>DELETE</Method><ResourceType>OBJECT</ResourceType>");
    expect(corsHeaders(denied)).toEqual({});
    const none = await preflight("no-cors", { origin: APP, "access-control-request-method": "GET" });
    expect(none.status).toBe(403);
    expect(await none.text()).toContain("CORSResponse: CORS is not enabled for this bucket.");
  });

  it("400 when it is not a valid preflight; 404 for a bucket that does not exist", async () => {
    const noOrigin = await preflight(B, { "access-control-request-method": "GET" });
    expect(noOrigin.status).toBe(400);
    expect(await noOrigin.text()).toContain("Insufficient information. Origin request header needed.");
    const badMethod = await preflight(B, { origin: APP, "access-control-request-method": "PATCH" });
    expect(badMethod.status).toBe(400);
    expect(await badMethod.text()).toContain("Invalid Access-Control-Request-Method: PATCH");
    expect((await preflight("missing-bucket", { origin: APP, "access-control-request-method": "GET" })).status).toBe(404);
  });
});

describe("CORS headers on actual responses", () => {
  it("decorates an allowed request, and only that", async () => {
    const ok = await raw.fetch(`${h.url}/${B}/hello.txt`, { headers: { origin: APP } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("hello");
    expect(corsHeaders(ok)).toEqual({
      "access-control-allow-origin": APP,
      "access-control-allow-methods": "GET, PUT, HEAD",
      "access-control-expose-headers": "ETag, x-amz-request-id",
      "access-control-max-age": "600",
      "access-control-allow-credentials": "true",
      vary: VARY,
    });
    const plain = await raw.fetch(`${h.url}/${B}/hello.txt`);
    expect(corsHeaders(plain)).toEqual({});
    await plain.arrayBuffer();
    const notAllowed = await raw.fetch(`${h.url}/${B}/hello.txt`, { method: "DELETE", headers: { origin: APP } });
    expect(notAllowed.status).toBe(204);
    expect(corsHeaders(notAllowed)).toEqual({});
  });

  it("decorates error responses too: a missing key and a bad signature", async () => {
    const missing = await raw.fetch(`${h.url}/${B}/nope`, { headers: { origin: APP } });
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain("<Code>NoSuchKey</Code>");
    expect(missing.headers.get("access-control-allow-origin")).toBe(APP);
    const forged = new AwsClient({ accessKeyId: ROOT.accessKeyId, secretAccessKey: "wrong", service: "s3", region: "us-east-1", retries: 0 });
    const denied = await forged.fetch(`${h.url}/${B}/hello.txt`, { headers: { origin: "https://else.example" } });
    expect(denied.status).toBe(403);
    expect(await denied.text()).toContain("<Code>SignatureDoesNotMatch</Code>");
    expect(corsHeaders(denied)).toEqual({ "access-control-allow-origin": "*", "access-control-allow-methods": "GET", vary: VARY });
  });
});
