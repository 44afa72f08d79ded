/**
 * A real browser against the Worker: headless Debian Chromium driven by playwright-core loads a
 * page from a second local origin. With aws4fetch, the page PUTs, GETs and lists objects; this
 * succeeds when the bucket's CORS rules allow that origin and method, and the browser blocks it
 * (fetch rejects with a TypeError) when they do not. The same page submits a presigned POST form
 * (browser form upload) and the object arrives with its metadata.
 *
 * Chromium: /usr/bin/chromium (Debian's `chromium`). Without it the suite is skipped with a
 * message, unless SOS_REQUIRE_BROWSER=1, where a missing browser fails.
 */
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutBucketCorsCommand, type S3Client } from "@aws-sdk/client-s3";
import { createHmac, randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, startWorker, streamToBuffer, type Harness } from "../e2e/harness";

const CHROMIUM = "/usr/bin/chromium";
const REQUIRE = process.env.SOS_REQUIRE_BROWSER === "1";
const available = fs.existsSync(CHROMIUM);
if (!available && !REQUIRE)
  console.warn(`[browser.test] skipping: ${CHROMIUM} not found (apt-get install chromium). Set SOS_REQUIRE_BROWSER=1 to fail instead.`);

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>sos-worker browser test</title></head>
<body>
<form id="upload" method="post" enctype="multipart/form-data"></form>
<script type="module">
  import { AwsClient } from "/aws4fetch.mjs";
  // Runs one signed request; a request the browser blocks rejects with a TypeError.
  window.s3 = async (creds, method, url, body) => {
    const aws = new AwsClient({ ...creds, service: "s3", region: "us-east-1", retries: 0 });
    try {
      const res = await aws.fetch(url, { method, body, headers: body ? { "content-type": "text/plain" } : {} });
      return { status: res.status, etag: res.headers.get("etag"), text: await res.text() };
    } catch (e) {
      return { error: e.name + ": " + e.message };
    }
  };
  window.listKeys = (xml) => [...new DOMParser().parseFromString(xml, "application/xml").getElementsByTagName("Key")].map((k) => k.textContent);
  // Fills the form: fields in order, then the file input last, as S3 requires.
  window.buildForm = (action, fields) => {
    const form = document.getElementById("upload");
    form.action = action;
    for (const [name, value] of fields) {
      const input = Object.assign(document.createElement("input"), { type: "hidden", name, value });
      form.appendChild(input);
    }
    form.appendChild(Object.assign(document.createElement("input"), { type: "file", name: "file", id: "file" }));
  };
  window.pageReady = true;
</script>
</body></html>`;

const DONE = `<!doctype html><html><body><p id="done">uploaded</p></body></html>`;

describe.skipIf(!available && !REQUIRE)("browser: CORS and form uploads from another origin", () => {
  let h: Harness;
  let s3: S3Client;
  let site: http.Server;
  let origin: string;
  let context: import("playwright-core").BrowserContext;
  let page: import("playwright-core").Page;
  let userDataDir: string;

  beforeAll(async () => {
    if (!available) throw new Error(`${CHROMIUM} is missing and SOS_REQUIRE_BROWSER=1`);
    h = await startWorker();
    s3 = h.client();
    const aws4fetch = fs.readFileSync("node_modules/aws4fetch/dist/aws4fetch.esm.mjs");
    site = http.createServer((req, res) => {
      const p = new URL(req.url ?? "/", "http://x").pathname;
      if (p === "/") res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
      else if (p === "/aws4fetch.mjs") res.writeHead(200, { "content-type": "text/javascript" }).end(aws4fetch);
      else if (p === "/done") res.writeHead(200, { "content-type": "text/html" }).end(DONE);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;

    for (const bucket of ["web", "web-get-only", "web-elsewhere"]) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const rule = { AllowedOrigins: [origin], AllowedHeaders: ["*"], ExposeHeaders: ["ETag"] };
    await s3.send(new PutBucketCorsCommand({ Bucket: "web", CORSConfiguration: { CORSRules: [{ ...rule, AllowedMethods: ["GET", "PUT"] }] } }));
    await s3.send(new PutBucketCorsCommand({ Bucket: "web-get-only", CORSConfiguration: { CORSRules: [{ ...rule, AllowedMethods: ["GET"] }] } }));
    await s3.send(
      new PutBucketCorsCommand({
        Bucket: "web-elsewhere",
        CORSConfiguration: { CORSRules: [{ ...rule, AllowedOrigins: ["https://elsewhere.example"], AllowedMethods: ["GET", "PUT"] }] },
      }),
    );

    const { chromium } = await import("playwright-core");
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "sos-chromium-"));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    await page.goto(origin + "/");
    await page.waitForFunction(() => (window as unknown as { pageReady?: boolean }).pageReady === true);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
    await new Promise((r) => site?.close(r));
    await h?.dispose();
  });

  type Result = { status?: number; etag?: string | null; text?: string; error?: string };
  const s3InPage = (method: string, url: string, body?: string): Promise<Result> =>
    page.evaluate(([creds, m, u, b]) => (window as unknown as { s3: (...a: unknown[]) => Promise<Result> }).s3(creds, m, u, b), [
      ROOT,
      method,
      url,
      body,
    ] as const);

  it("PUTs, GETs and lists when the bucket's CORS rules allow the page's origin", async () => {
    const put = await s3InPage("PUT", `${h.url}/web/hello.txt`, "hi from the browser");
    expect(put).toMatchObject({ status: 200, etag: expect.stringMatching(/^"[0-9a-f]{32}"$/) });
    const get = await s3InPage("GET", `${h.url}/web/hello.txt`);
    expect(get).toMatchObject({ status: 200, text: "hi from the browser" });
    const list = await s3InPage("GET", `${h.url}/web?list-type=2`);
    expect(list.status).toBe(200);
    const keys = await page.evaluate((xml) => (window as unknown as { listKeys: (x: string) => string[] }).listKeys(xml), list.text!);
    expect(keys).toEqual(["hello.txt"]);
    const stored = await s3.send(new GetObjectCommand({ Bucket: "web", Key: "hello.txt" }));
    expect((await streamToBuffer(stored.Body)).toString()).toBe("hi from the browser");
  });

  it("is blocked by the browser when the origin is not allowed", async () => {
    for (const method of ["PUT", "GET"]) {
      const r = await s3InPage(method, `${h.url}/web-elsewhere/blocked.txt`, method === "PUT" ? "nope" : undefined);
      expect(r.error).toMatch(/^TypeError: Failed to fetch/);
    }
    await expect(s3.send(new HeadObjectCommand({ Bucket: "web-elsewhere", Key: "blocked.txt" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });

  it("is blocked when the method is not allowed, while an allowed method still works", async () => {
    const put = await s3InPage("PUT", `${h.url}/web-get-only/blocked.txt`, "nope");
    expect(put.error).toMatch(/^TypeError: Failed to fetch/);
    await expect(s3.send(new HeadObjectCommand({ Bucket: "web-get-only", Key: "blocked.txt" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    // A 404 error response is readable too: CORS headers are on errors as well.
    const get = await s3InPage("GET", `${h.url}/web-get-only/blocked.txt`);
    expect(get.status).toBe(404);
    expect(get.text).toContain("<Code>NoSuchKey</Code>");
  });

  it("submits a presigned POST form; the object arrives with its metadata", async () => {
    const amzDate = new Date()
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d{3}/, "");
    const day = amzDate.slice(0, 8);
    const credential = `${ROOT.accessKeyId}/${day}/us-east-1/s3/aws4_request`;
    const fields: [string, string][] = [
      ["key", "uploads/${filename}"],
      ["Content-Type", "text/plain"],
      ["x-amz-meta-uploaded-by", "browser-form"],
      ["success_action_redirect", `${origin}/done`],
      ["x-amz-algorithm", "AWS4-HMAC-SHA256"],
      ["x-amz-credential", credential],
      ["x-amz-date", amzDate],
    ];
    const policy = Buffer.from(
      JSON.stringify({
        expiration: new Date(Date.now() + 10 * 60_000).toISOString(),
        conditions: [
          { bucket: "web" },
          ["starts-with", "$key", "uploads/"],
          ["eq", "$Content-Type", "text/plain"],
          ["eq", "$x-amz-meta-uploaded-by", "browser-form"],
          ["eq", "$success_action_redirect", `${origin}/done`],
          ["content-length-range", 1, 1024 * 1024],
          { "x-amz-algorithm": "AWS4-HMAC-SHA256" },
          { "x-amz-credential": credential },
          { "x-amz-date": amzDate },
        ],
      }),
    ).toString("base64");
    let k = createHmac("sha256", "AWS4" + ROOT.secretAccessKey)
      .update(day)
      .digest();
    for (const part of ["us-east-1", "s3", "aws4_request"]) k = createHmac("sha256", k).update(part).digest();
    fields.push(["policy", policy], ["x-amz-signature", createHmac("sha256", k).update(policy).digest("hex")]);

    await page.evaluate(([action, f]) => (window as unknown as { buildForm: (a: string, f: unknown) => void }).buildForm(action, f), [
      `${h.url}/web`,
      fields,
    ] as const);
    const content = randomBytes(40_000).toString("base64");
    await page.setInputFiles("#file", { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from(content) });
    await Promise.all([
      page.waitForURL((u) => u.pathname === "/done", { timeout: 30_000 }),
      page.evaluate(() => (document.getElementById("upload") as HTMLFormElement).submit()),
    ]);

    const done = new URL(page.url());
    expect(done.origin).toBe(origin);
    expect(done.searchParams.get("bucket")).toBe("web");
    expect(done.searchParams.get("key")).toBe("uploads/notes.txt");
    const got = await s3.send(new GetObjectCommand({ Bucket: "web", Key: "uploads/notes.txt" }));
    expect((await streamToBuffer(got.Body)).toString()).toBe(content);
    expect(got.ContentType).toBe("text/plain");
    expect(got.Metadata).toEqual({ "uploaded-by": "browser-form" });
    expect(done.searchParams.get("etag")).toBe(got.ETag);
  });
});
