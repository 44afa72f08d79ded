// boto3 (Debian's python3-boto3 1.26 under /usr/bin/python3) at its defaults against `npm start`
// (startLocalServer): the client gets endpoint_url only, credentials and region come from the environment.
// botocore 1.29 addresses a custom endpoint path-style and signs presigned URLs with SigV2 unless told
// otherwise; both are what a user gets, so both are what is tested. The client side lives in
// boto3_client.py (one step per test, printing what it observed as JSON):
// transfer manager upload/download of 40 MiB with its default concurrency, paginators (list_objects_v2
// over 1010 keys in pages of 100, list_object_versions in pages of 2), presigned GET/PUT URLs with
// urllib, presigned POST with requests (multipart/form-data), delete_objects.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ROOT, SKIP_CLIENTS, clientDescribe, expectOk, runClient, startLocalServer, type LocalServer } from "./local-server";

const AK = "EXOBOTO3TESTKEY0000000001";
const SK = "boto3-test-secret-key-0000000000000000000";
const SCRIPT = path.join(ROOT, "test/clients/boto3_client.py");
const PYTHON = fs.existsSync("/usr/bin/python3") ? "/usr/bin/python3" : undefined;
const BOTO3 = PYTHON && (await runClient(PYTHON, ["-c", "import boto3, requests"])).code === 0 ? PYTHON : undefined;
const BUCKET = `boto3-${crypto.randomBytes(4).toString("hex")}`;

let tmp = "";
let server: LocalServer | undefined;

/** Runs one step of boto3_client.py and returns the JSON it printed. */
// biome-ignore lint/suspicious/noExplicitAny: parsed JSON whose fields the test reads
async function step<T = Record<string, any>>(name: string): Promise<T> {
  const env = { AWS_ACCESS_KEY_ID: AK, AWS_SECRET_ACCESS_KEY: SK, AWS_DEFAULT_REGION: "us-east-1" };
  const r = expectOk(await runClient(BOTO3!, [SCRIPT, server!.endpoint, BUCKET, name, tmp], { env, timeoutMs: 90_000 }), server!.log());
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as T;
}

beforeAll(async () => {
  if (SKIP_CLIENTS || !BOTO3) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sos-boto3-"));
  server = await startLocalServer({ accessKeyId: AK, secretAccessKey: SK, stateDir: path.join(tmp, "state"), readyTimeoutMs: 120_000 });
}, 180_000);

afterAll(async () => {
  await server?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

clientDescribe(
  "boto3",
  BOTO3,
  () => {
    it("creates its bucket", async () => {
      const r = await step("setup");
      expect(r.boto3).toMatch(/^1\./);
      expect(r.buckets).toContain(BUCKET);
    });

    it("upload_file / download_file through the transfer manager: 40 MiB in 8 MiB parts, 10 threads", async () => {
      const r = await step("transfer");
      expect(r.threshold).toBe(8 * 1024 * 1024);
      expect(r.concurrency).toBe(10);
      expect(r.size).toBe(40 * 1024 * 1024);
      expect(r.uploadParts).toBe(5);
      expect(r.etag).toMatch(/^"[0-9a-f]{32}-5"$/);
      expect(r.rangedGets).toBeGreaterThan(1); // download_file fetched it in ranges, concurrently
      expect(r.received).toBe(r.sent);
    }, 60_000);

    it("paginators: list_objects_v2 over 1010 keys in pages of 100, list_object_versions in pages of 2", async () => {
      const r = await step("paginate");
      expect(r.flat).toEqual(r.keys);
      expect(r.flatPages).toBe(11);
      expect(r.shallow).toEqual(r.keys.filter((k: string) => !k.includes("/dir")));
      expect(r.prefixes).toEqual(Array.from({ length: 10 }, (_, d) => `page/dir${d}/`));
      expect(r.shallowPages).toBe(11); // 1000 keys + 10 prefixes, 100 a page

      // Newest first per key, the delete marker of b is its latest; 5 versions + 1 marker in pages of 2.
      const ids = (key: string) =>
        r.written
          .filter(([k]: string[]) => k === key)
          .map(([, v]: string[]) => v)
          .reverse();
      expect(r.deleteMarker[0]).toBe(true);
      expect(r.markers).toEqual([["b", r.deleteMarker[1], true]]);
      expect(r.versions).toEqual([...ids("a").map((v: string, i: number) => ["a", v, i === 0]), ...ids("b").map((v: string) => ["b", v, false])]);
      expect(r.versionPages).toBe(3);
    }, 60_000);

    it("generate_presigned_url GET/PUT with urllib, generate_presigned_post with a multipart/form-data POST", async () => {
      const r = await step("presign");
      expect(r.putUrl).toMatch(/[?&]Signature=/); // boto3 1.26 presigns with SigV2 by default
      expect(r.putStatus, r.putError).toBe(200);
      expect(r.getStatus).toBe(200);
      expect(r.received).toBe(r.sent);
      expect(r.forgedStatus).toBe(403);

      expect(r.postFields).toEqual(expect.arrayContaining(["key", "policy"]));
      expect(r.postStatus, r.postBody).toBe(201);
      expect(r.postBody).toContain("<Key>posted/form.bin</Key>");
      expect(r.postStored).toBe(r.postSent);
      expect(r.tooBigStatus).toBe(400);
      expect(r.tooBigBody).toContain("<Code>EntityTooLarge</Code>");
      expect(r.tooBigStored).toBe(false);
    });

    it("delete_objects: verbose and quiet, missing keys count as deleted", async () => {
      const r = await step("delete");
      expect(r.deleted).toEqual(["del/a", "del/b", "del/missing"]);
      expect(r.errors).toEqual([]);
      expect(r.quietDeleted).toEqual([]);
      expect(r.quietErrors).toEqual([]);
      expect(r.left).toEqual(["del/keep"]);
    });
  },
  { wanted: "/usr/bin/python3 with boto3 and requests", installHint: "apt-get install -y python3-boto3 python3-requests", tag: "boto3.test" },
);
