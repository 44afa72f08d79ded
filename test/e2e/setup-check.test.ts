// A deployment that is not set up (migrations never applied, a required secret missing, no admin
// token) answers with an error that says what to run, never a bare InternalError.
import { CreateBucketCommand, ListBucketsCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { Miniflare } from "miniflare";
import { afterAll, describe, expect, it } from "vitest";
import { applyMigrations, startSosWorker } from "../support/worker";

const ROOT = { accessKeyId: "SOSSETUPTESTKEY000000001", secretAccessKey: "setup-test-secret-0123456789abcdefghijk" };
const SECRETS = {
  SOS_ROOT_ACCESS_KEY: ROOT.accessKeyId,
  SOS_ROOT_SECRET_KEY: ROOT.secretAccessKey,
  SOS_ADMIN_TOKEN: "setup-admin-token",
  SOS_MASTER_KEY: "setup-master-key",
};

const started: { mf: Miniflare; client: S3Client }[] = [];
afterAll(async () => {
  for (const w of started) {
    w.client.destroy();
    await w.mf.dispose();
  }
});

async function start(bindings: Record<string, string>, migrate = true) {
  const { mf, url } = await startSosWorker({ bindings, migrate });
  const client = new S3Client({ endpoint: url, region: "us-east-1", forcePathStyle: true, credentials: ROOT, maxAttempts: 1 });
  started.push({ mf, client });
  const admin = async (path: string, token = SECRETS.SOS_ADMIN_TOKEN) => {
    const r = await fetch(url + path, { headers: { authorization: `Bearer ${token}` } });
    return { status: r.status, type: r.headers.get("content-type"), json: await r.json() };
  };
  return { mf, url, client, admin };
}

const notSetUp = (reason: RegExp) => ({ name: "ServiceUnavailable", $metadata: { httpStatusCode: 503 }, message: expect.stringMatching(reason) });

describe("a deployment whose D1 migrations were never applied", () => {
  it("answers S3 and admin requests with what to run, and works once migrated", async () => {
    const w = await start(SECRETS, false);
    const migrate = /^This sos-worker deployment is not set up: the D1 database has not been migrated: run `npx wrangler d1 migrations apply DB --remote`/;
    await expect(w.client.send(new ListBucketsCommand({}))).rejects.toMatchObject(notSetUp(migrate));
    await expect(w.client.send(new CreateBucketCommand({ Bucket: "first" }))).rejects.toMatchObject(notSetUp(migrate));
    await expect(w.client.send(new PutObjectCommand({ Bucket: "first", Key: "k", Body: "x" }))).rejects.toMatchObject(notSetUp(migrate));
    // A raw request sees the S3 error document with a request id.
    const raw = await fetch(`${w.url}/first?list-type=2`);
    expect(raw.status).toBe(503);
    expect(raw.headers.get("x-amz-request-id")).toMatch(/^[0-9A-F]{16}$/);
    expect(await raw.text()).toMatch(
      /<Code>ServiceUnavailable<\/Code><Message>This sos-worker deployment is not set up: the D1 database has not been migrated/,
    );
    const admin = await w.admin("/_admin/users");
    expect(admin).toMatchObject({
      status: 503,
      type: "application/json",
      json: { code: "NotConfigured", message: expect.stringMatching(/not been migrated: run `npx wrangler d1 migrations apply DB --remote`/) },
    });

    // Nothing is remembered about the failure: once migrated, the same Worker serves.
    await applyMigrations(w.mf);
    await w.client.send(new CreateBucketCommand({ Bucket: "first" }));
    expect((await w.client.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual(["first"]);
    expect((await w.admin("/_admin/users")).status).toBe(200);
  });
});

describe("a deployment with a required secret missing", () => {
  it("without SOS_MASTER_KEY, every request says to set it", async () => {
    const w = await start({ ...SECRETS, SOS_MASTER_KEY: "" });
    const reason =
      /not set up: the SOS_MASTER_KEY secret is not set: run `npm run deploy` \(it sets the missing secrets\) or `npx wrangler secret put SOS_MASTER_KEY`/;
    await expect(w.client.send(new ListBucketsCommand({}))).rejects.toMatchObject(notSetUp(reason));
    const anonymous = await fetch(`${w.url}/some-bucket/some-key`);
    expect(anonymous.status).toBe(503);
    expect(await anonymous.text()).toMatch(/<Code>ServiceUnavailable<\/Code><Message>This sos-worker deployment is not set up: the SOS_MASTER_KEY secret/);
    expect(await w.admin("/_admin/users")).toMatchObject({ status: 503, json: { code: "NotConfigured", message: expect.stringMatching(reason) } });
  });

  it("with half a root key, says which half is missing", async () => {
    const w = await start({ ...SECRETS, SOS_ROOT_SECRET_KEY: "" });
    await expect(w.client.send(new ListBucketsCommand({}))).rejects.toMatchObject(
      notSetUp(/the root key is half set \(SOS_ROOT_SECRET_KEY is missing\): run `npx wrangler secret put SOS_ROOT_SECRET_KEY`/),
    );
  });

  it("a zone in SOS_ZONES without an R2 binding is named, with what to add", async () => {
    const w = await start({ ...SECRETS, SOS_ZONES: "ch-gva-2,at-vie-1" });
    await expect(w.client.send(new ListBucketsCommand({}))).rejects.toMatchObject(
      notSetUp(/zone at-vie-1 \(SOS_ZONES\) has no R2 binding R2_AT_VIE_1: add an \[\[r2_buckets\]\] entry for it to wrangler.toml and run `npm run deploy`/),
    );
  });

  it("a zone endpoint for a zone that is not served is named, with where to fix it", async () => {
    const w = await start({ ...SECRETS, SOS_ZONE_ENDPOINTS: "ch-gva-2=sos-ch-gva-2.example.com,at-vie-1=sos-at-vie-1.example.com" });
    await expect(w.client.send(new ListBucketsCommand({}))).rejects.toMatchObject(
      notSetUp(/SOS_ZONE_ENDPOINTS: zone at-vie-1 is not in SOS_ZONES: fix it in wrangler.toml \[vars\]/),
    );
  });

  it("without SOS_ADMIN_TOKEN, the admin API says it is not configured and S3 works", async () => {
    const w = await start({ ...SECRETS, SOS_ADMIN_TOKEN: "" });
    for (const token of ["", "anything"]) {
      expect(await w.admin("/_admin/users", token)).toEqual({
        status: 503,
        type: "application/json",
        json: {
          code: "NotConfigured",
          message:
            "The admin API is not configured: the SOS_ADMIN_TOKEN secret is not set: run `npm run deploy` (it sets the missing secrets) or `npx wrangler secret put SOS_ADMIN_TOKEN`.",
        },
      });
    }
    await w.client.send(new CreateBucketCommand({ Bucket: "still-works" }));
    expect((await w.client.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual(["still-works"]);
  });
});
