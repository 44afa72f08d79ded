/**
 * Admin API and the sos-admin CLI end to end: the CLI (spawned as a real process) creates a
 * user and a restricted key that @aws-sdk/client-s3 then uses, disables, re-enables and revokes
 * it; quotas and usage; admin-token checks; the admin API's place outside the S3 namespace;
 * and proof that D1 never holds a plaintext secret.
 */
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListBucketsCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { spawnSync } from "node:child_process";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, ROOT, startWorker, streamToBuffer, type Harness } from "./harness";
import { createKey, createUser, type Creds } from "./principals";

const BASE_DOMAIN = "sos.test";
const MASTER_KEY = "test-master-key-0123456789"; // the harness's SOS_MASTER_KEY

let h: Harness;
beforeAll(async () => {
  h = await startWorker({ SOS_BASE_DOMAIN: BASE_DOMAIN });
  await h.client().send(new CreateBucketCommand({ Bucket: "admin-setup" }));
});
afterAll(() => h?.dispose());

/** Runs bin/sos-admin.mjs as a separate process against the test Worker. */
// biome-ignore lint/suspicious/noExplicitAny: parsed JSON whose fields the test reads
function cli(args: string[], token = ADMIN_TOKEN): { code: number; out: any; stderr: string } {
  const r = spawnSync(process.execPath, ["bin/sos-admin.mjs", "--endpoint", h.url, "--token", token, ...args, "--json"], {
    encoding: "utf8",
    env: { ...process.env, SOS_ADMIN_TOKEN: "", SOS_ENDPOINT: "" },
  });
  // biome-ignore lint/suspicious/noExplicitAny: parsed JSON whose fields the test reads
  let out: any;
  try {
    out = r.stdout ? JSON.parse(r.stdout) : undefined;
  } catch {
    out = r.stdout;
  }
  return { code: r.status ?? -1, out, stderr: r.stderr };
}

const refused = (name: string) => ({ name, $metadata: { httpStatusCode: 403 } });

describe("sos-admin CLI end to end", () => {
  let userId: string;
  let full: Creds;
  let restricted: Creds;
  let s3: S3Client;

  it("creates a user and a full key, which creates buckets", async () => {
    const created = cli(["user", "create", "carol", "--email", "carol@example.com", "--max-buckets", "3"]);
    expect(created.code).toBe(0);
    expect(created.out).toMatchObject({ displayName: "carol", email: "carol@example.com", maxBuckets: 3 });
    expect(created.out.userId).toMatch(/^[0-9a-f]{64}$/);
    userId = created.out.userId;

    const key = cli(["key", "create", "--user", userId]);
    expect(key.code).toBe(0);
    expect(key.out).toMatchObject({ userId, bucket: null, operations: "full", enabled: true });
    full = { accessKeyId: key.out.accessKeyId, secretAccessKey: key.out.secretAccessKey };
    const carol = h.client(full);
    await carol.send(new CreateBucketCommand({ Bucket: "carol-data" }));
    await carol.send(new CreateBucketCommand({ Bucket: "carol-other" }));
    await carol.send(new PutObjectCommand({ Bucket: "carol-data", Key: "report.txt", Body: "quarterly numbers" }));
    await carol.send(new PutObjectCommand({ Bucket: "carol-other", Key: "x", Body: "x" }));
  });

  it("creates a read-only key restricted to one bucket, which works within its scope only", async () => {
    const key = cli(["key", "create", "--user", userId, "--bucket", "carol-data", "--ops", "read-only"]);
    expect(key.code).toBe(0);
    expect(key.out).toMatchObject({ bucket: "carol-data", operations: "read-only" });
    restricted = { accessKeyId: key.out.accessKeyId, secretAccessKey: key.out.secretAccessKey };
    s3 = h.client(restricted);

    const got = await s3.send(new GetObjectCommand({ Bucket: "carol-data", Key: "report.txt" }));
    expect((await streamToBuffer(got.Body)).toString()).toBe("quarterly numbers");
    expect((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual(["carol-data"]);
    await expect(s3.send(new PutObjectCommand({ Bucket: "carol-data", Key: "new", Body: "n" }))).rejects.toMatchObject(refused("AccessDenied"));
    await expect(s3.send(new GetObjectCommand({ Bucket: "carol-other", Key: "x" }))).rejects.toMatchObject(refused("AccessDenied"));
  });

  it("lists keys without their secrets", () => {
    const list = cli(["key", "list", "--user", userId]);
    expect(list.code).toBe(0);
    expect(list.out.keys.map((k: { accessKeyId: string }) => k.accessKeyId).sort()).toEqual([full.accessKeyId, restricted.accessKeyId].sort());
    expect(JSON.stringify(list.out)).not.toContain(restricted.secretAccessKey);
    expect(JSON.stringify(list.out)).not.toContain("secret");
  });

  it("disables the key (refused at once), re-enables it, then deletes it (refused for good)", async () => {
    const get = () => s3.send(new HeadObjectCommand({ Bucket: "carol-data", Key: "report.txt" }));
    expect(cli(["key", "disable", restricted.accessKeyId]).out).toMatchObject({ accessKeyId: restricted.accessKeyId, enabled: false });
    await expect(get()).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    expect(cli(["key", "enable", restricted.accessKeyId]).out).toMatchObject({ enabled: true });
    expect((await get()).ContentLength).toBe(17);
    expect(cli(["key", "delete", restricted.accessKeyId]).code).toBe(0);
    await expect(s3.send(new GetObjectCommand({ Bucket: "carol-data", Key: "report.txt" }))).rejects.toMatchObject(refused("InvalidAccessKeyId"));
    // Deleting it again: the server says it does not exist.
    const again = cli(["key", "delete", restricted.accessKeyId]);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stderr)).toMatchObject({ status: 404, code: "NoSuchAccessKey" });
    // The user's other key is untouched.
    await h.client(full).send(new HeadObjectCommand({ Bucket: "carol-data", Key: "report.txt" }));
  });

  it("sets the user's bucket quota", async () => {
    expect(cli(["user", "quota", userId, "2"]).out).toMatchObject({ maxBuckets: 2 });
    await expect(h.client(full).send(new CreateBucketCommand({ Bucket: "carol-third" }))).rejects.toMatchObject({ name: "TooManyBuckets" });
    expect(cli(["user", "quota", userId, "3"]).code).toBe(0);
    await h.client(full).send(new CreateBucketCommand({ Bucket: "carol-third" }));
  });

  it("reports usage: object count, stored bytes and billed bytes with a 128 KiB minimum per object", async () => {
    const carol = h.client(full);
    await carol.send(new PutObjectCommand({ Bucket: "carol-third", Key: "small", Body: "1234567890" }));
    await carol.send(new PutObjectCommand({ Bucket: "carol-third", Key: "big", Body: Buffer.alloc(300 * 1024, 7) }));
    const usage = cli(["usage", "--bucket", "carol-third"]);
    expect(usage.code).toBe(0);
    expect(usage.out.buckets).toEqual([
      { name: "carol-third", owner: userId, zone: "ch-gva-2", objectCount: 2, storedBytes: 10 + 300 * 1024, billedBytes: 128 * 1024 + 300 * 1024 },
    ]);
    expect(cli(["usage"]).out.buckets.map((b: { name: string }) => b.name)).toEqual(expect.arrayContaining(["admin-setup", "carol-data", "carol-third"]));
    expect(cli(["usage", "--bucket", "no-such-bucket"]).code).toBe(1);
  });

  it("refuses to delete a user who owns buckets, and a wrong token", () => {
    const del = cli(["user", "delete", userId]);
    expect(del.code).toBe(1);
    expect(JSON.parse(del.stderr)).toMatchObject({ status: 409, code: "UserOwnsBuckets" });
    const bad = cli(["user", "list"], "not-the-token");
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stderr)).toMatchObject({ status: 401, code: "AdminUnauthorized" });
  });

  it("deletes a user without buckets, and their keys with them", async () => {
    const dave = cli(["user", "create", "dave"]).out;
    const key = cli(["key", "create", "--user", dave.userId, "--ops", "GetObject,ListObjectsV2"]).out;
    expect(key.operations).toEqual(["GetObject", "ListObjectsV2"]);
    const s3dave = h.client({ accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey });
    expect((await s3dave.send(new ListBucketsCommand({})).catch((e) => e)).name).toBe("AccessDenied"); // not in its list
    expect(cli(["user", "delete", dave.userId]).code).toBe(0);
    await expect(s3dave.send(new ListBucketsCommand({}))).rejects.toMatchObject(refused("InvalidAccessKeyId"));
    expect(cli(["key", "list", "--user", dave.userId]).out.keys).toEqual([]);
  });
});

describe("admin API", () => {
  const raw = (path: string, headers: Record<string, string> = {}, method = "GET") => fetch(h.url + path, { method, headers });

  it.each([
    ["no token", {}],
    ["a wrong token of the same length", { authorization: `Bearer ${ADMIN_TOKEN.replace(/.$/, "X")}` }],
    ["a wrong token of another length", { authorization: "Bearer x" }],
    ["the token without the Bearer scheme", { authorization: ADMIN_TOKEN }],
    [
      "an S3 signature",
      { authorization: `AWS4-HMAC-SHA256 Credential=${ROOT.accessKeyId}/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00` },
    ],
  ])("refuses %s with 401", async (_why, headers) => {
    for (const [method, path] of [
      ["GET", "/_admin/users"],
      ["POST", "/_admin/keys"],
      ["GET", "/_admin/usage"],
      ["DELETE", "/_admin/users/x"],
    ]) {
      const res = await raw(path, headers, method);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ code: "AdminUnauthorized", message: "A valid admin bearer token is required." });
    }
  });

  it("accepts the right token", async () => {
    expect((await raw("/_admin/users", { authorization: `Bearer ${ADMIN_TOKEN}` })).status).toBe(200);
  });

  it("refuses operation lists with unknown names and restricted keys for invalid bucket names", async () => {
    const user = await createUser(h, "erin");
    expect(await h.admin("POST", "/_admin/keys", { userId: user.userId, operations: ["GetObject", "ListBucket"] })).toMatchObject({
      status: 400,
      json: { code: "InvalidRequest", message: expect.stringContaining("ListBucket") },
    });
    expect((await h.admin("POST", "/_admin/keys", { userId: user.userId, bucket: "Not_A_Bucket" })).status).toBe(400);
    expect((await h.admin("POST", "/_admin/users", { displayName: "frank", email: "not-an-email" })).status).toBe(400);
  });

  it("accepts display names with inner spaces and refuses other characters", async () => {
    expect(await h.admin("POST", "/_admin/users", { displayName: "  Bob Smith " })).toMatchObject({ status: 201, json: { displayName: "Bob Smith" } });
    expect((await h.admin("POST", "/_admin/users", { displayName: "bob<script>" })).status).toBe(400);
    expect((await h.admin("POST", "/_admin/users", { displayName: "" })).status).toBe(400);
  });

  /** A request with an explicit Host header (fetch cannot set one). */
  function hostRequest(host: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; body: string }> {
    const u = new URL(h.url);
    return new Promise((resolve, reject) => {
      const req = http.request({ host: u.hostname, port: u.port, path, method: "GET", headers: { ...headers, host } }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode!, type: String(res.headers["content-type"]), body }));
      });
      req.on("error", reject);
      req.end();
    });
  }

  it("lives outside the S3 namespace: /_admin under a bucket's virtual host is that bucket's key, never the admin API", async () => {
    const root = h.client();
    await root.send(new CreateBucketCommand({ Bucket: "vhost", ACL: "public-read" }));
    await root.send(new PutObjectCommand({ Bucket: "vhost", Key: "_admin/users", Body: "just an object", ACL: "public-read" }));
    const asObject = await hostRequest(`vhost.${BASE_DOMAIN}`, "/_admin/users", { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(asObject.type).not.toContain("json");
    expect(asObject.body).not.toContain("userId");
    const anonymous = await hostRequest(`vhost.${BASE_DOMAIN}`, "/_admin/users");
    expect(anonymous).toMatchObject({ status: 200, body: "just an object" });
    const missing = await hostRequest(`vhost.${BASE_DOMAIN}`, "/_admin/keys");
    expect(missing.status).toBe(404);
    expect(missing.body).toContain("<Code>NoSuchKey</Code>");
    // On the service host itself, /_admin is the admin API.
    const admin = await hostRequest(BASE_DOMAIN, "/_admin/users", { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(admin.status).toBe(200);
    expect(JSON.parse(admin.body).users.map((u: { displayName: string }) => u.displayName)).toContain("root");
  });

  it("keeps no plaintext secret anywhere in D1 (every column of every table), and returns each secret only once", async () => {
    const user = await createUser(h, "grace", "grace@example.com");
    const secrets = [
      (await createKey(h, user.userId)).secretAccessKey,
      (await createKey(h, user.userId, { bucket: "admin-setup", operations: "read-only" })).secretAccessKey,
    ];
    await h
      .client({ accessKeyId: (await createKey(h, user.userId)).accessKeyId, secretAccessKey: "wrong" })
      .send(new ListBucketsCommand({}))
      .catch(() => undefined);
    const needles = [...secrets, ROOT.secretAccessKey, ADMIN_TOKEN, MASTER_KEY];

    const db = await h.mf.getD1Database("DB");
    const tables = (
      await db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").all<{ name: string }>()
    ).results.map((t) => t.name);
    expect(tables).toEqual(expect.arrayContaining(["users", "access_keys", "buckets", "objects"]));
    let cells = 0;
    for (const table of tables) {
      const rows = (await db.prepare(`SELECT * FROM "${table}"`).all<Record<string, unknown>>()).results;
      for (const row of rows) {
        for (const [column, value] of Object.entries(row)) {
          cells++;
          const text = value instanceof ArrayBuffer ? Buffer.from(value).toString("latin1") : String(value);
          for (const needle of needles) expect(text.includes(needle), `${table}.${column} holds a secret`).toBe(false);
        }
      }
    }
    expect(cells).toBeGreaterThan(50);
    // The stored form is ciphertext of the right size (12-byte IV + 40-byte secret + 16-byte tag).
    const stored = (await db.prepare("SELECT secret_enc FROM access_keys WHERE user_id = ?").bind(user.userId).all<{ secret_enc: string }>()).results;
    for (const { secret_enc } of stored) expect(Buffer.from(secret_enc, "base64").length).toBe(12 + 40 + 16);

    const listed = JSON.stringify((await h.admin("GET", `/_admin/keys?userId=${user.userId}`)).json);
    for (const s of secrets) expect(listed).not.toContain(s);
  });
});
