/**
 * The web portal end to end: headless Debian Chromium (playwright-core) drives the portal that
 * `npm start` serves at /_portal/ (the real start.mjs, front and workerd with local D1/R2), and every
 * effect is checked through the S3 API (@aws-sdk/client-s3) or the admin API, not through the page.
 * The tests run in order on one page, as a user would: sign in, create a bucket, upload, browse,
 * edit, delete, then the admin view and a bucket-restricted key.
 *
 * Chromium: /usr/bin/chromium. Without it the suite is skipped with a message, unless
 * SOS_REQUIRE_BROWSER=1, where a missing browser fails. SOS_PORTAL_SCREENSHOTS=1 also writes the
 * screenshots of the main screens into docs/images/ (how the checked-in ones were made).
 */
import {
  GetBucketCorsCommand,
  GetBucketLocationCommand,
  GetBucketVersioningCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketTaggingCommand,
} from "@aws-sdk/client-s3";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, startLocalServer, type LocalServer } from "../clients/local-server";

const CHROMIUM = "/usr/bin/chromium";
const REQUIRE = process.env.SOS_REQUIRE_BROWSER === "1";
const SCREENSHOTS = process.env.SOS_PORTAL_SCREENSHOTS === "1";
const available = fs.existsSync(CHROMIUM);
if (!available && !REQUIRE)
  console.warn(`[portal.test] skipping: ${CHROMIUM} not found (apt-get install chromium). Set SOS_REQUIRE_BROWSER=1 to fail instead.`);

const CREDS = { accessKeyId: "EXOPORTALTEST00000000000001", secretAccessKey: randomBytes(20).toString("hex") };
const ADMIN_TOKEN = randomBytes(24).toString("hex");
const BUCKET = "portal-e2e";
const OTHER = "portal-other";
const MiB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe.skipIf(!available && !REQUIRE)("portal in a browser against npm start", () => {
  let server: LocalServer;
  let s3: S3Client;
  let tmp: string;
  let context: import("playwright-core").BrowserContext;
  let page: import("playwright-core").Page;
  const cspViolations: string[] = [];
  // Chromium's DOMParser styles its <parsererror> element inline, which the CSP blocks (harmlessly):
  // expected while malformed XML is being validated, and only then.
  let parsingMalformedXml = false;
  const big = randomBytes(6 * MiB + 12345);

  const shot = async (name: string) => {
    if (SCREENSHOTS) await page.evaluate(() => scrollTo(0, 0));
    if (SCREENSHOTS) await page.screenshot({ path: path.join(ROOT, "docs/images", `portal-${name}.png`), fullPage: false });
  };
  const portal = (hash = "") => `${server.endpoint}/_portal/${hash}`;
  const heading = (name: string | RegExp) => page.getByRole("heading", { level: 1, name }).waitFor();
  const status = (text: string | RegExp) => page.getByRole("status").filter({ hasText: text }).first().waitFor();
  const alert = (text: string | RegExp) => page.getByRole("alert").filter({ hasText: text }).first().waitFor();
  const admin = async (method: string, p: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${server.endpoint}/_admin${p}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    });
    return res.json();
  };

  beforeAll(async () => {
    if (!available) throw new Error(`${CHROMIUM} is missing and SOS_REQUIRE_BROWSER=1`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "portal-test-"));
    if (SCREENSHOTS) fs.mkdirSync(path.join(ROOT, "docs/images"), { recursive: true });
    server = await startLocalServer({ ...CREDS, adminToken: ADMIN_TOKEN, stateDir: path.join(tmp, "state") });
    s3 = new S3Client({ endpoint: server.endpoint, region: "us-east-1", forcePathStyle: true, credentials: CREDS });
    const { chromium } = await import("playwright-core");
    context = await chromium.launchPersistentContext(path.join(tmp, "chromium"), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1100, height: 800 },
      acceptDownloads: true,
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
    page.setDefaultTimeout(20_000);
    // Expected S3 refusals log "Failed to load resource"; anything else logged as an error is a problem.
    page.on("console", (m) => {
      if (m.type() !== "error" || /^Failed to load resource/.test(m.text())) return;
      if (parsingMalformedXml && /^CSP style-src-attr |^Applying inline style violates/.test(m.text())) return;
      cspViolations.push(m.text());
    });
    await page.addInitScript(() =>
      document.addEventListener("securitypolicyviolation", (e) =>
        console.error(`CSP ${e.violatedDirective} ${e.sourceFile}:${e.lineNumber}:${e.columnNumber} at ${location.hash}`),
      ),
    );
    page.on("pageerror", (e) => cspViolations.push(`page error: ${e.message}`));
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await server?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("is served at /_portal/ with a strict CSP, while / still answers S3", async () => {
    const res = await fetch(portal());
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(await res.text()).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    const js = await fetch(portal("app.js"));
    expect(js.headers.get("content-security-policy")).toBe(csp);
    const s3Root = await fetch(`${server.endpoint}/`);
    expect(s3Root.status).toBe(403);
    expect(await s3Root.text()).toContain("<Code>AccessDenied</Code>");
  });

  it("refuses a wrong secret in words with the S3 code, then signs in; the secret is kept in sessionStorage only", async () => {
    await page.goto(portal());
    await heading("Sign in");
    await page.getByLabel("Access key id").fill(CREDS.accessKeyId);
    await page.getByLabel("Secret access key").fill("wrong-secret");
    await page.getByRole("button", { name: "Sign in" }).click();
    await alert("The secret key does not match");
    expect(await page.getByRole("alert").textContent()).toContain("SignatureDoesNotMatch");
    await page.getByLabel("Secret access key").fill(CREDS.secretAccessKey);
    await shot("sign-in");
    await page.getByRole("button", { name: "Sign in" }).click();
    await heading("Buckets");
    const storage = await page.evaluate(() => ({ session: JSON.stringify(sessionStorage), local: JSON.stringify(localStorage), cookie: document.cookie }));
    expect(storage.session).toContain(CREDS.secretAccessKey);
    expect(storage.local).not.toContain(CREDS.secretAccessKey);
    expect(storage.cookie).toBe("");
  });

  it("explains bucket name rules as you type and creates a bucket in the chosen zone with versioning", async () => {
    const name = page.getByLabel("Bucket name");
    await name.fill("Bad_Name");
    await page.getByText("Bucket names can consist only of lowercase letters").waitFor();
    expect(await page.getByRole("button", { name: "Create bucket" }).isDisabled()).toBe(true);
    await name.fill(BUCKET);
    await page.getByLabel("Zone").selectOption("de-fra-1");
    await page.getByLabel("Turn on versioning").check();
    await page.getByRole("button", { name: "Create bucket" }).click();
    await status(`Bucket ${BUCKET} created.`);
    await page
      .getByRole("row", { name: new RegExp(BUCKET) })
      .getByText("de-fra-1")
      .waitFor();
    expect((await s3.send(new GetBucketLocationCommand({ Bucket: BUCKET }))).LocationConstraint).toBe("de-fra-1");
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: BUCKET }))).Status).toBe("Enabled");
    await s3.send(new CreateBucketCommand({ Bucket: OTHER }));
    await shot("buckets");
  });

  it("uploads files (one in multipart parts) and a folder; the bytes arrive intact", async () => {
    await page.getByRole("link", { name: BUCKET, exact: true }).click();
    await heading(BUCKET);
    await page.getByLabel("Multipart part size").selectOption("5");
    await page.locator('input[name="files"]').setInputFiles([
      { name: "big.bin", mimeType: "application/octet-stream", buffer: big },
      { name: "hello.txt", mimeType: "text/plain", buffer: Buffer.from("hello portal") },
    ]);
    const folder = path.join(tmp, "photos");
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, "a.txt"), "A");
    fs.writeFileSync(path.join(folder, "b.txt"), "B");
    await page.locator('input[name="folder"]').setInputFiles(folder);
    await page.waitForFunction(() => document.querySelectorAll("li.upload.done").length === 4, undefined, { timeout: 60_000 });
    const uploads = await page.locator("li.upload").allInnerTexts();
    expect(uploads.find((t) => t.includes("big.bin"))).toMatch(/2\/2 parts/);
    await shot("objects");

    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "big.bin" }));
    expect(got.ETag).toMatch(/-2"$/); // completed from two parts
    expect(sha256(Buffer.from(await got.Body!.transformToByteArray()))).toBe(sha256(big));
    const keys = (await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents!.map((o) => o.Key);
    expect(keys.sort()).toEqual(["big.bin", "hello.txt", "photos/a.txt", "photos/b.txt"]);
    expect((await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "hello.txt" }))).ContentType).toBe("text/plain");
  });

  it("pages through a large folder by continuation token", async () => {
    await Promise.all(
      Array.from({ length: 105 }, (_, i) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `many/k${String(i).padStart(3, "0")}`, Body: "x" }))),
    );
    await page.goto(portal(`#/bucket/${BUCKET}?prefix=many/`));
    await page.getByRole("link", { name: "k099" }).waitFor();
    expect(await page.getByRole("link", { name: /^k\d{3}$/ }).count()).toBe(100);
    await page.getByRole("button", { name: "Next page" }).click();
    await page.getByRole("link", { name: "k104" }).waitFor();
    expect(await page.getByRole("link", { name: /^k\d{3}$/ }).allInnerTexts()).toEqual(["k100", "k101", "k102", "k103", "k104"]);
    expect(await page.getByRole("button", { name: "Next page" }).isDisabled()).toBe(true);
    await page.getByRole("button", { name: "Previous page" }).click();
    await page.getByRole("link", { name: "k000" }).waitFor();
    // The prefix goes again as a whole, in one request: the rest of the tests do not see these keys.
    await page.getByRole("button", { name: "Delete folder many/" }).isVisible();
    await page.goto(portal(`#/bucket/${BUCKET}`));
    await page.getByRole("button", { name: "Delete folder many/" }).click();
    await page.getByRole("button", { name: "Really delete everything under many/" }).click();
    await status("Deleted 105 objects under many/.");
    expect((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "many/" }))).KeyCount).toBe(0);
  });

  it("pauses and resumes a multipart upload; the object arrives whole", async () => {
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 1.5 * MiB });
    try {
      await page.getByLabel("Multipart part size").selectOption("5");
      const paused = randomBytes(11 * MiB);
      await page.locator('input[name="files"]').setInputFiles([{ name: "paused.bin", mimeType: "application/octet-stream", buffer: paused }]);
      const row = page.locator("li.upload", { hasText: "paused.bin" });
      await row.getByRole("button", { name: "Pause paused.bin" }).click();
      await row.getByText(/^Paused at \d+%$/).waitFor();
      expect(await row.locator(".upload-head").textContent()).toMatch(/0\/3 parts|1\/3 parts|2\/3 parts/);
      await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      await row.getByRole("button", { name: "Resume paused.bin" }).click();
      await row.getByText("Done").waitFor({ timeout: 60_000 });
      expect(await row.locator(".upload-head").textContent()).toContain("3/3 parts");
      const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "paused.bin" }));
      expect(got.ETag).toMatch(/-3"$/);
      expect(sha256(Buffer.from(await got.Body!.transformToByteArray()))).toBe(sha256(paused));
      await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: "paused.bin" }));
    } finally {
      await cdp.detach();
    }
  });

  it("browses a prefix as a folder and searches by prefix", async () => {
    await page.goto(portal(`#/bucket/${BUCKET}`));
    await page.getByRole("link", { name: "photos/" }).click();
    await page.getByRole("link", { name: "a.txt" }).waitFor();
    expect(await page.getByRole("link", { name: "b.txt" }).count()).toBe(1);
    expect(await page.getByRole("link", { name: "big.bin" }).count()).toBe(0);
    await page.getByLabel(/Search names starting with/).fill("b");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByRole("link", { name: "a.txt" }).waitFor({ state: "detached" });
    expect(await page.getByRole("link", { name: "b.txt" }).count()).toBe(1);
  });

  it("edits metadata in place, keeping the object's ACL and tags", async () => {
    await s3.send(new PutObjectTaggingCommand({ Bucket: BUCKET, Key: "hello.txt", Tagging: { TagSet: [{ Key: "team", Value: "blue" }] } }));
    await s3.send(new PutObjectAclCommand({ Bucket: BUCKET, Key: "hello.txt", ACL: "public-read" }));
    await page.goto(portal(`#/object/${BUCKET}?key=hello.txt`));
    await heading("hello.txt");
    await page.getByLabel("Cache-Control").fill("max-age=60");
    await page.getByRole("button", { name: "Add metadata" }).click();
    await page.getByLabel("Name 1 (after x-amz-meta-)").fill("color");
    await page.getByLabel("Value 1", { exact: true }).fill("green");
    await page.getByRole("button", { name: "Save metadata" }).click();
    await status("Metadata saved");
    await shot("object");

    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "hello.txt" }));
    expect(head.CacheControl).toBe("max-age=60");
    expect(head.Metadata).toEqual({ color: "green" });
    expect(head.ContentType).toBe("text/plain");
    expect(head.ContentEncoding).toBeUndefined(); // the local server's gzip on the way is not taken for the object's encoding
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: "hello.txt" }))).TagSet).toEqual([{ Key: "team", Value: "blue" }]);
    const acl = await s3.send(new GetObjectAclCommand({ Bucket: BUCKET, Key: "hello.txt" }));
    expect(acl.Grants!.some((g) => g.Grantee?.URI === "http://acs.amazonaws.com/groups/global/AllUsers" && g.Permission === "READ")).toBe(true);
    expect(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "hello.txt" }))).Body!.transformToString()).toBe("hello portal");
  });

  it("sets the object ACL: a canned choice, then a per-grantee grant", async () => {
    await page.getByLabel("Quick choice (canned ACL)").selectOption("private");
    await page.getByRole("button", { name: "Apply canned ACL" }).click();
    await status("The object ACL is now private.");
    let acl = await s3.send(new GetObjectAclCommand({ Bucket: BUCKET, Key: "hello.txt" }));
    expect(acl.Grants!.map((g) => g.Permission)).toEqual(["FULL_CONTROL"]);

    await page.getByRole("button", { name: "Add grant" }).click();
    await page.getByLabel("Grantee 2").selectOption("AuthenticatedUsers");
    await page.getByLabel("Permission 2").selectOption("READ_ACP");
    await page.getByRole("button", { name: "Save grants" }).click();
    await status("Grants saved.");
    acl = await s3.send(new GetObjectAclCommand({ Bucket: BUCKET, Key: "hello.txt" }));
    expect(acl.Grants!.some((g) => g.Grantee?.URI === "http://acs.amazonaws.com/groups/global/AuthenticatedUsers" && g.Permission === "READ_ACP")).toBe(true);
  });

  it("creates a share link that downloads without credentials, and downloads through the browser", async () => {
    await page.getByLabel("Expires after").selectOption("900");
    await page.getByRole("button", { name: "Create link" }).click();
    const url = await page.getByRole("textbox", { name: /Share link/ }).inputValue();
    expect(url).toContain("X-Amz-Expires=900");
    const shared = await fetch(url);
    expect(shared.status).toBe(200);
    expect(await shared.text()).toBe("hello portal");

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download", exact: true }).click()]);
    expect(download.suggestedFilename()).toBe("hello.txt");
    expect(fs.readFileSync((await download.path())!, "utf8")).toBe("hello portal");
  });

  it("restores an older version and deletes one", async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "notes.txt", Body: "first" }));
    const v1 = (await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: "notes.txt" }))).Versions![0].VersionId!;
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "notes.txt", Body: "second" }));
    await page.goto(portal(`#/object/${BUCKET}?key=notes.txt`));
    await heading("notes.txt");
    await page.getByRole("button", { name: `Restore version ${v1}` }).click();
    await status(`Version ${v1} restored`);
    expect(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "notes.txt" }))).Body!.transformToString()).toBe("first");

    await page.getByRole("button", { name: `Delete version ${v1}` }).click();
    await page.getByRole("button", { name: `Really delete version ${v1}` }).click();
    await status(`Version ${v1} deleted for good.`);
    const left = (await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: "notes.txt" }))).Versions!.map((v) => v.VersionId);
    expect(left).toHaveLength(2);
    expect(left).not.toContain(v1);
  });

  it("suspends and resumes versioning and sets bucket tags", async () => {
    await page.goto(portal(`#/bucket/${BUCKET}/settings`));
    await heading(`${BUCKET}: settings`);
    await page.getByRole("button", { name: "Suspend versioning" }).click();
    await status("Versioning suspended");
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: BUCKET }))).Status).toBe("Suspended");
    await page.getByRole("button", { name: "Turn versioning on" }).click();
    await status("Versioning is on.");
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: BUCKET }))).Status).toBe("Enabled");

    await page.getByRole("button", { name: "Add tag" }).click();
    await page.getByLabel("Tag key 1").fill("cost-centre");
    await page.getByLabel("Tag value 1").fill("42");
    await page.getByRole("button", { name: "Save tags" }).click();
    await status("Tags saved.");
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: BUCKET }))).TagSet).toEqual([{ Key: "cost-centre", Value: "42" }]);
  });

  it("edits CORS with the rule editor (the rule takes effect) and validates raw XML", async () => {
    await page.getByRole("button", { name: "Add rule" }).click();
    await page.getByLabel("Allowed origins (rule 1)").fill("https://app.example");
    await page.getByRole("group", { name: "Allowed methods (rule 1)" }).getByLabel("PUT").check();
    await page.getByLabel("Allowed headers (rule 1)").fill("*");
    await page.getByRole("button", { name: "Save CORS rules" }).click();
    await status("CORS rules saved.");
    const cors = await s3.send(new GetBucketCorsCommand({ Bucket: BUCKET }));
    expect(cors.CORSRules).toMatchObject([
      { AllowedOrigins: ["https://app.example"], AllowedMethods: ["GET", "PUT"], AllowedHeaders: ["*"], ExposeHeaders: ["ETag"], MaxAgeSeconds: 3000 },
    ]);
    const preflight = await fetch(`${server.endpoint}/${BUCKET}/x`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "PUT" },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example");
    const refused = await fetch(`${server.endpoint}/${BUCKET}/x`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "PUT" },
    });
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();

    await page.getByRole("button", { name: "Raw XML" }).click();
    const xml = page.getByLabel("CORS configuration (XML)");
    expect(await xml.inputValue()).toContain("<AllowedOrigin>https://app.example</AllowedOrigin>");
    parsingMalformedXml = true;
    await xml.fill("<CORSConfiguration><CORSRule><AllowedOrigin>https://x.example</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule>");
    await page.getByText("not well-formed XML").waitFor();
    await page.waitForTimeout(200); // let the console events of that parse arrive
    parsingMalformedXml = false;
    await xml.fill(
      "<CORSConfiguration><CORSRule><AllowedOrigin>https://x.example</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>",
    );
    await page.getByText('"PATCH" is not a method S3 allows').waitFor();
    await page.getByRole("button", { name: "Save XML" }).click();
    expect((await s3.send(new GetBucketCorsCommand({ Bucket: BUCKET }))).CORSRules![0].AllowedOrigins).toEqual(["https://app.example"]);
    await xml.fill(
      "<CORSConfiguration><CORSRule><AllowedOrigin>https://x.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
    );
    await page.getByRole("button", { name: "Save XML" }).click();
    await status("CORS configuration saved.");
    expect((await s3.send(new GetBucketCorsCommand({ Bucket: BUCKET }))).CORSRules).toMatchObject([
      { AllowedOrigins: ["https://x.example"], AllowedMethods: ["GET"] },
    ]);
    await shot("settings");
  });

  it("deletes selected objects and a whole prefix; a non-empty bucket's deletion is refused with the reason", async () => {
    await page.goto(portal(`#/bucket/${BUCKET}`));
    await heading(BUCKET);
    await page.getByLabel("Select hello.txt").check();
    await page.getByRole("button", { name: "Delete selected (1)" }).click();
    await page.getByRole("button", { name: "Really delete 1 selected" }).click();
    await status("Deleted 1 object.");
    await page.getByRole("button", { name: "Delete folder photos/" }).click();
    await page.getByRole("button", { name: "Really delete everything under photos/" }).click();
    await status("Deleted 2 objects under photos/.");
    const keys = (await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents!.map((o) => o.Key).sort();
    expect(keys).toEqual(["big.bin", "notes.txt"]);

    await page.goto(portal(`#/bucket/${BUCKET}/settings`));
    await page.getByLabel(`Type ${BUCKET} to confirm`).fill(BUCKET);
    await page.getByRole("button", { name: "Delete bucket" }).click();
    await alert("The bucket is not empty");
    expect(await page.getByRole("alert").last().textContent()).toContain("BucketNotEmpty");
  });

  let restricted: { id: string; secret: string };
  it("admin view: creates a bucket-restricted key and disables another; the admin API shows it", async () => {
    await page.goto(portal("#/admin"));
    await heading("Administration");
    await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Sign in as administrator" }).click();
    await page.getByRole("heading", { name: "Access keys" }).waitFor();
    await page
      .getByRole("row", { name: new RegExp(BUCKET) })
      .first()
      .waitFor(); // usage table
    await page.getByLabel("For user").selectOption({ label: "root" });
    await page.getByLabel("Restrict to bucket (optional)").fill(BUCKET);
    await page.getByRole("button", { name: "Create key" }).click();
    const id = (await page.locator("#new-key-id").textContent())!;
    const secret = (await page.locator("#new-key-secret").textContent())!;
    restricted = { id, secret };
    await shot("admin");
    const keys = (await admin("GET", "/keys")).keys as { accessKeyId: string; bucket: string | null; enabled: boolean }[];
    expect(keys.find((k) => k.accessKeyId === id)).toMatchObject({ bucket: BUCKET, enabled: true });

    await page.getByLabel("Restrict to bucket (optional)").fill("");
    await page.getByRole("button", { name: "Create key" }).click();
    await status(/Key \w+ created/);
    const other = (await page.locator("#new-key-id").textContent())!;
    expect(other).not.toBe(id);
    await page.getByRole("button", { name: `Disable key ${other}` }).click();
    await status(`Key ${other} disabled.`);
    expect(((await admin("GET", "/keys")).keys as { accessKeyId: string; enabled: boolean }[]).find((k) => k.accessKeyId === other)?.enabled).toBe(false);
    await page.getByRole("button", { name: `Delete key ${other}` }).click();
    await page.getByRole("button", { name: `Really delete key ${other}` }).click();
    await status(`Key ${other} deleted.`);
    expect(((await admin("GET", "/keys")).keys as { accessKeyId: string }[]).map((k) => k.accessKeyId)).not.toContain(other);

    await page.getByLabel("New user's name").fill("carol");
    await page.getByLabel("E-mail (optional)").fill("carol@example.com");
    await page.getByRole("button", { name: "Create user" }).click();
    await status("User carol created.");
    expect(((await admin("GET", "/users")).users as { displayName: string; email: string }[]).find((u) => u.displayName === "carol")).toMatchObject({
      email: "carol@example.com",
    });
  });

  it("a bucket-restricted key sees its bucket only", async () => {
    await page.getByRole("button", { name: /Sign out/ }).click();
    await page.goto(portal());
    await heading("Sign in");
    await page.getByLabel("Access key id").fill(restricted.id);
    await page.getByLabel("Secret access key").fill(restricted.secret);
    await page.getByLabel("Bucket (optional)").fill(BUCKET);
    await page.getByRole("button", { name: "Sign in" }).click();
    await heading(BUCKET);
    await page.getByRole("link", { name: "big.bin" }).waitFor();
    await page.getByRole("link", { name: "Buckets" }).click();
    await heading("Buckets");
    await page.waitForFunction(() => !document.body.textContent?.includes("Loading buckets"));
    expect(await page.locator("main").textContent()).not.toContain(OTHER);
    await page.goto(portal(`#/bucket/${OTHER}`));
    await heading(OTHER);
    await alert("not allowed");
    expect(await page.getByRole("alert").textContent()).toContain("AccessDenied");
  });

  it("stays usable at phone width and raised no CSP violation or script error", async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(portal(`#/bucket/${BUCKET}`));
    await page.getByRole("link", { name: "big.bin" }).waitFor();
    // Nothing wider than the screen: no sideways scrolling of the page.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await shot("phone");
    expect(cspViolations).toEqual([]);
  });
});
