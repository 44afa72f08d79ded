// The MinIO JS SDK (`minio` on npm) at its defaults against `npm start` (startLocalServer): endPoint,
// port, useSSL: false and the keys, nothing else (path-style is its default; the region it finds with
// GetBucketLocation). Bucket and object calls, copyObject, presigned GET/PUT URLs and POST policy used with plain
// fetch, listObjectsV2 with its own pagination (1000 keys a page, so more than 1000 keys), multipart
// through putObject of a stream above its 64 MiB part size, ranges, tagging and metadata.
// Every download is compared byte for byte with what was sent.
import crypto from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, expect, it } from "vitest";
import { SKIP_CLIENTS, clientDescribe, startLocalServer, type LocalServer } from "./local-server";

const AK = "EXOMINIOJSTESTKEY00000001";
const SK = "minio-js-test-secret-key-00000000000000";

// The SDK is a devDependency; a checkout without it skips (or fails under SOS_REQUIRE_CLIENTS=1).
const Minio = await import("minio").catch(() => undefined);
const VERSION = Minio ? (createRequire(import.meta.url)("minio/package.json").version as string) : undefined;

let tmp = "";
let server: LocalServer | undefined;
let mc: import("minio").Client;
const BUCKET = `minio-js-${crypto.randomBytes(4).toString("hex")}`;

const sha256 = (b: Buffer) => crypto.createHash("sha256").update(b).digest("hex");

async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

async function collect<T>(s: NodeJS.ReadableStream): Promise<T[]> {
  const out: T[] = [];
  for await (const o of s) out.push(o as T);
  return out;
}

/** Runs fn over items with at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

beforeAll(async () => {
  if (SKIP_CLIENTS || !Minio) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sos-minio-js-"));
  server = await startLocalServer({ accessKeyId: AK, secretAccessKey: SK, stateDir: path.join(tmp, "state"), readyTimeoutMs: 120_000 });
  mc = new Minio.Client({ endPoint: "127.0.0.1", port: server.port, useSSL: false, accessKey: AK, secretKey: SK });
}, 180_000);

afterAll(async () => {
  await server?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

clientDescribe(
  `minio-js ${VERSION ?? ""}`.trim(),
  VERSION && "node_modules/minio",
  () => {
    it("makeBucket, bucketExists, listBuckets, removeBucket", async () => {
      const other = `${BUCKET}-gone`;
      await mc.makeBucket(BUCKET);
      await mc.makeBucket(other);
      expect(await mc.bucketExists(other)).toBe(true);
      expect((await mc.listBuckets()).map((b) => b.name)).toEqual(expect.arrayContaining([BUCKET, other]));
      await mc.removeBucket(other);
      expect(await mc.bucketExists(other)).toBe(false);
      expect((await mc.listBuckets()).map((b) => b.name)).not.toContain(other);
      await expect(mc.makeBucket("Not_A_Valid_Bucket")).rejects.toThrow();
    });

    it("putObject, statObject with metadata, getObject, copyObject, removeObject(s)", async () => {
      const body = crypto.randomBytes(300_000);
      const put = await mc.putObject(BUCKET, "obj/one.bin", body, body.length, { "Content-Type": "application/x-test", "X-Amz-Meta-Owner": "minio-js" });
      const st = await mc.statObject(BUCKET, "obj/one.bin");
      expect(st.size).toBe(body.length);
      expect(st.etag).toBe(put.etag);
      expect(st.etag).toBe(crypto.createHash("md5").update(body).digest("hex"));
      expect(st.metaData["content-type"]).toBe("application/x-test");
      expect(st.metaData.owner).toBe("minio-js");
      expect(sha256(await readAll(await mc.getObject(BUCKET, "obj/one.bin")))).toBe(sha256(body));

      const conds = new Minio!.CopyConditions();
      conds.setMatchETag(put.etag);
      await mc.copyObject(BUCKET, "obj/copy.bin", `/${BUCKET}/obj/one.bin`, conds);
      expect(sha256(await readAll(await mc.getObject(BUCKET, "obj/copy.bin")))).toBe(sha256(body));
      const stale = new Minio!.CopyConditions();
      stale.setMatchETag("0".repeat(32));
      await expect(mc.copyObject(BUCKET, "obj/never.bin", `/${BUCKET}/obj/one.bin`, stale)).rejects.toMatchObject({ code: "PreconditionFailed" });

      // CopyObjectV2 with metadata replacement.
      await mc.copyObject(
        new Minio!.CopySourceOptions({ Bucket: BUCKET, Object: "obj/one.bin" }),
        new Minio!.CopyDestinationOptions({ Bucket: BUCKET, Object: "obj/replaced.bin", MetadataDirective: "REPLACE", UserMetadata: { colour: "blue" } }),
      );
      const rst = await mc.statObject(BUCKET, "obj/replaced.bin");
      expect(rst.metaData.colour).toBe("blue");
      expect(rst.metaData.owner).toBeUndefined();

      await mc.removeObject(BUCKET, "obj/one.bin");
      await expect(mc.statObject(BUCKET, "obj/one.bin")).rejects.toMatchObject({ code: "NotFound" });
      await mc.removeObjects(BUCKET, ["obj/copy.bin", "obj/replaced.bin"]);
      expect(await collect(mc.listObjectsV2(BUCKET, "obj/", true))).toEqual([]);
    });

    it("presignedGetObject and presignedPutObject work with plain fetch", async () => {
      const body = crypto.randomBytes(50_000);
      const putUrl = await mc.presignedPutObject(BUCKET, "presigned/a b+c.bin", 600);
      const put = await fetch(putUrl, { method: "PUT", body });
      expect(put.status, await put.clone().text()).toBe(200);
      const getUrl = await mc.presignedGetObject(BUCKET, "presigned/a b+c.bin", 600, { "response-content-type": "application/x-from-url" });
      const got = await fetch(getUrl);
      expect(got.status).toBe(200);
      expect(got.headers.get("content-type")).toBe("application/x-from-url");
      expect(sha256(Buffer.from(await got.arrayBuffer()))).toBe(sha256(body));
      // A tampered signature is refused.
      const bad = await fetch(getUrl.replace(/X-Amz-Signature=[0-9a-f]/, (m) => m.slice(0, -1) + (m.endsWith("0") ? "1" : "0")));
      expect(bad.status).toBe(403);
      await bad.body?.cancel();
    });

    it("presignedPostPolicy gives a form that fetch can POST; the policy's limits hold", async () => {
      const policy = mc.newPostPolicy();
      policy.setBucket(BUCKET);
      policy.setKey("posted/form.bin");
      policy.setExpires(new Date(Date.now() + 600_000));
      policy.setContentLengthRange(1, 20_000);
      policy.setContentType("application/x-posted");
      const { postURL, formData } = await mc.presignedPostPolicy(policy);
      const post = (body: Buffer) => {
        const form = new FormData();
        for (const [k, v] of Object.entries(formData)) form.append(k, v);
        form.append("file", new Blob([new Uint8Array(body)]), "form.bin");
        return fetch(postURL, { method: "POST", body: form });
      };
      const body = crypto.randomBytes(10_000);
      const ok = await post(body);
      expect(ok.status, await ok.clone().text()).toBe(204);
      expect(sha256(await readAll(await mc.getObject(BUCKET, "posted/form.bin")))).toBe(sha256(body));
      expect((await mc.statObject(BUCKET, "posted/form.bin")).metaData["content-type"]).toBe("application/x-posted");
      const tooBig = await post(crypto.randomBytes(30_000));
      expect(tooBig.status).toBe(400);
      expect(await tooBig.text()).toContain("<Code>EntityTooLarge</Code>");
      expect((await mc.statObject(BUCKET, "posted/form.bin")).size).toBe(body.length);
    });

    it("listObjectsV2 pages through more than 1000 keys, with and without a delimiter", async () => {
      // 1000 keys directly under many/ and 2 x 3 in sub-"folders": the SDK asks for pages of 1000, so the
      // recursive listing (1006 keys) and the delimited one (1000 keys, then the 2 prefixes) take two pages each.
      const flat = Array.from({ length: 1000 }, (_, i) => `many/k${String(i).padStart(4, "0")}`);
      const nested = ["many/sub1/", "many/sub2/"].flatMap((p) => Array.from({ length: 3 }, (_, i) => `${p}x${i}`));
      await pool([...flat, ...nested], 32, (k) => mc.putObject(BUCKET, k, Buffer.from(k)));

      const deep = await collect<{ name: string; size: number }>(mc.listObjectsV2(BUCKET, "many/", true));
      expect(deep.map((o) => o.name)).toEqual([...flat, ...nested].sort());
      expect(deep.find((o) => o.name === "many/k0007")?.size).toBe("many/k0007".length);

      const shallow = await collect<{ name?: string; prefix?: string }>(mc.listObjectsV2(BUCKET, "many/", false));
      expect(shallow.filter((o) => o.name).map((o) => o.name)).toEqual(flat);
      expect(shallow.filter((o) => o.prefix).map((o) => o.prefix)).toEqual(["many/sub1/", "many/sub2/"]);

      const sub = await collect<{ name: string }>(mc.listObjectsV2(BUCKET, "many/sub2/", false));
      expect(sub.map((o) => o.name)).toEqual(nested.slice(3));
    }, 60_000);

    it("putObject of a stream above the 64 MiB part size is a multipart upload; getPartialObject ranges", async () => {
      // 65 MiB + 1 KiB of pseudo-random bytes, made lazily: two parts (64 MiB + the rest) at the SDK's defaults.
      const size = 65 * 1024 * 1024 + 1024;
      const seed = crypto.randomBytes(1024 * 1024);
      const block = (i: number) => Buffer.concat([seed.subarray(i % 1024), seed.subarray(0, i % 1024)]);
      const whole = crypto.createHash("sha256");
      function* chunks() {
        for (let off = 0, i = 0; off < size; i++) {
          const b = block(i).subarray(0, Math.min(seed.length, size - off));
          whole.update(b);
          off += b.length;
          yield b;
        }
      }
      const put = await mc.putObject(BUCKET, "big/stream.bin", Readable.from(chunks()), size);
      expect(put.etag).toMatch(/-2$/); // the ETag of a two-part multipart upload
      const st = await mc.statObject(BUCKET, "big/stream.bin");
      expect(st.size).toBe(size);
      expect(sha256(await readAll(await mc.getObject(BUCKET, "big/stream.bin")))).toBe(whole.digest("hex"));

      // Ranges across the part boundary, from an offset to the end, and a single byte.
      const at = (off: number, len: number) => {
        const out = Buffer.alloc(len);
        for (let p = 0; p < len; ) {
          const i = Math.floor((off + p) / seed.length);
          const from = (off + p) % seed.length;
          p += block(i).copy(out, p, from, Math.min(seed.length, from + len - p));
        }
        return out;
      };
      const boundary = 64 * 1024 * 1024 - 100;
      expect((await readAll(await mc.getPartialObject(BUCKET, "big/stream.bin", boundary, 300))).equals(at(boundary, 300))).toBe(true);
      expect((await readAll(await mc.getPartialObject(BUCKET, "big/stream.bin", size - 5000))).equals(at(size - 5000, 5000))).toBe(true);
      expect((await readAll(await mc.getPartialObject(BUCKET, "big/stream.bin", 12345, 1))).equals(at(12345, 1))).toBe(true);
      await mc.removeObject(BUCKET, "big/stream.bin");
    }, 60_000);

    it("object tagging: setObjectTagging, getObjectTagging, removeObjectTagging", async () => {
      // putObject's metaData cannot carry tags: the SDK prefixes X-Amz-Tagging with x-amz-meta- (see docs/clients.md).
      await mc.putObject(BUCKET, "tags/t.txt", Buffer.from("tagged"), 6, { "Cache-Control": "max-age=60" });
      expect(await mc.getObjectTagging(BUCKET, "tags/t.txt")).toEqual([]);
      expect((await mc.statObject(BUCKET, "tags/t.txt")).metaData["cache-control"]).toBe("max-age=60");
      await mc.setObjectTagging(BUCKET, "tags/t.txt", { project: "sos", "team name": "a+b @x" });
      const tags = await mc.getObjectTagging(BUCKET, "tags/t.txt");
      expect(tags).toEqual(
        expect.arrayContaining([
          { Key: "project", Value: "sos" },
          { Key: "team name", Value: "a+b @x" },
        ]),
      );
      expect(tags).toHaveLength(2);
      await mc.removeObjectTagging(BUCKET, "tags/t.txt", { versionId: "" }); // its types require versionId; "" is the current version
      expect(await mc.getObjectTagging(BUCKET, "tags/t.txt")).toEqual([]);
    });
  },
  { wanted: "the minio npm package", installHint: "npm install (it is a devDependency)", tag: "minio-js.test" },
);
