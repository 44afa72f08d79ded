/**
 * Zone replicas under faults, end to end: @aws-sdk/client-s3 over HTTP against the Worker in workerd
 * with real local D1, R2 (two zones, each with its replica bucket) and Miniflare's Queue simulator.
 * The test-only entry test/support/fault-worker.ts fails chosen R2 and queue calls and drops or
 * duplicates messages. Proven here: every committed blob reaches its replica; with the home zone dead
 * every object reads back byte for byte; failed sends, lost, duplicated and failing messages still
 * converge; deletions reach the replica; no blob a row refers to is ever deleted; after the jobs
 * settle there are no orphans and every blob (but SSE-C ones) has its replica copy.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formBody, signedPostFields } from "../support/post-form";
import { jobCounts, r2Keys, ROOT, runCron, setFaults, settleJobs, startWorker, streamToBuffer, type Harness } from "./harness";

let h: Harness;
let s3: S3Client;
const HOME = "rep-home"; // ch-gva-2
const OTHER = "rep-other"; // de-fra-1
const BINDING = { "ch-gva-2": "R2_CH_GVA_2", "de-fra-1": "R2_DE_FRA_1" } as const;
type Zone = keyof typeof BINDING;
const DAY = 86_400_000;
const SSEC_KEY = randomBytes(32);
const ssec = { SSECustomerAlgorithm: "AES256", SSECustomerKey: SSEC_KEY.toString("base64") };
const md5 = (b: Buffer) => createHash("md5").update(b).digest("hex");

/** What each object must read back as. */
const expected = new Map<string, Buffer>();

beforeAll(async () => {
  h = await startWorker({ SOS_JOB_MAX_ATTEMPTS: "2", SOS_REQUIRE_HTTPS_FOR_SSEC: "false" });
  s3 = h.client();
  await s3.send(new CreateBucketCommand({ Bucket: HOME }));
  await s3.send(new CreateBucketCommand({ Bucket: OTHER, CreateBucketConfiguration: { LocationConstraint: "de-fra-1" as never } }));
});
afterAll(() => h?.dispose());

/** Blobs some row refers to, per zone, and which of them are SSE-C. */
async function referenced(): Promise<{ zone: Zone; key: string; ssec: boolean }[]> {
  const db = await h.mf.getD1Database("DB");
  const { results } = await db
    .prepare(
      `SELECT b.zone AS zone, o.blob_key AS key, o.ssec_key_md5 IS NOT NULL AS ssec FROM objects o JOIN buckets b ON b.id = o.bucket_id WHERE o.blob_key IS NOT NULL
       UNION SELECT b.zone, p.blob_key, o.ssec_key_md5 IS NOT NULL FROM object_parts p JOIN objects o ON o.id = p.object_id JOIN buckets b ON b.id = o.bucket_id
       UNION SELECT b.zone, u.blob_key, m.ssec_key_md5 IS NOT NULL FROM upload_parts u JOIN multipart_uploads m ON m.id = u.upload_id JOIN buckets b ON b.id = m.bucket_id`,
    )
    .all<{ zone: Zone; key: string; ssec: number }>();
  return results.map((r) => ({ ...r, ssec: !!r.ssec }));
}

async function replicaRows(): Promise<string[]> {
  const db = await h.mf.getD1Database("DB");
  return (await db.prepare("SELECT blob_key FROM blob_replicas ORDER BY blob_key").all<{ blob_key: string }>()).results.map((r) => r.blob_key);
}

async function bytesIn(binding: string, key: string): Promise<Buffer | null> {
  const obj = await (await h.mf.getR2Bucket(binding)).get(key);
  return obj ? Buffer.from(await obj.arrayBuffer()) : null;
}

/** No blob a row refers to is missing from both its zone and the replica. */
async function nothingReferencedIsGone(): Promise<void> {
  for (const r of await referenced()) {
    const home = await bytesIn(BINDING[r.zone], r.key);
    const copy = await bytesIn(`${BINDING[r.zone]}_REPLICA`, r.key);
    expect(home ?? copy, `blob ${r.key} is referenced but stored nowhere`).not.toBeNull();
  }
}

/** After the jobs settle: each zone holds exactly its referenced blobs, each replica exactly the copyable ones (with the same bytes, when `bytes`). */
async function converged({ bytes = false } = {}): Promise<void> {
  const refs = await referenced();
  for (const zone of Object.keys(BINDING) as Zone[]) {
    const mine = refs.filter((r) => r.zone === zone);
    expect((await r2Keys(h.mf, BINDING[zone])).sort(), `${zone}: no orphan, nothing missing`).toEqual(mine.map((r) => r.key).sort());
    const copyable = mine.filter((r) => !r.ssec).map((r) => r.key);
    expect((await r2Keys(h.mf, `${BINDING[zone]}_REPLICA`)).sort(), `${zone} replica`).toEqual(copyable.sort());
    if (bytes) for (const key of copyable) expect(md5((await bytesIn(`${BINDING[zone]}_REPLICA`, key))!)).toBe(md5((await bytesIn(BINDING[zone], key))!));
  }
  expect(await replicaRows()).toEqual(
    refs
      .filter((r) => !r.ssec)
      .map((r) => r.key)
      .sort(),
  );
}

async function get(Bucket: string, Key: string, extra: Record<string, unknown> = {}): Promise<Buffer> {
  return streamToBuffer((await s3.send(new GetObjectCommand({ Bucket, Key, ...extra }))).Body);
}

async function put(Key: string, body: Buffer, Bucket = HOME): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket, Key, Body: body }));
  expected.set(`${Bucket}/${Key}`, body);
}

async function multipart(Bucket: string, Key: string, parts: Buffer[]): Promise<void> {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
  const done = [];
  for (const [i, Body] of parts.entries()) {
    const { ETag } = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: i + 1, Body }));
    done.push({ ETag, PartNumber: i + 1 });
  }
  await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: done } }));
  expected.set(`${Bucket}/${Key}`, Buffer.concat(parts));
}

async function postObject(Key: string, data: Buffer): Promise<void> {
  const fields = { key: Key, ...signedPostFields(ROOT, [{ bucket: HOME }, { key: Key }]) };
  const { body, contentType } = formBody(Object.entries(fields), { filename: "f.bin", data });
  const res = await fetch(`${h.url}/${HOME}`, { method: "POST", body, headers: { "content-type": contentType } });
  expect(res.status, await res.text()).toBe(204);
  expected.set(`${HOME}/${Key}`, data);
}

const MIB = 1024 * 1024;
const part1 = randomBytes(5 * MIB);
const part2 = randomBytes(100_000);

describe("zone replicas", () => {
  it("copies every committed blob, one job message per stored blob; with the home zone dead every object reads back byte for byte", async () => {
    const before = await jobCounts(h);
    await put("small", randomBytes(1024));
    await put("medium", randomBytes(300_000));
    await multipart(HOME, "big", [part1, part2]);
    await postObject("posted", randomBytes(20_000));
    await s3.send(new CopyObjectCommand({ Bucket: OTHER, Key: "copied", CopySource: `${HOME}/medium` })); // rewritten into de-fra-1
    expected.set(`${OTHER}/copied`, expected.get(`${HOME}/medium`)!);
    await s3.send(new PutObjectCommand({ Bucket: HOME, Key: "secret", Body: randomBytes(2000), ...ssec }));
    const counts = await settleJobs(h);
    // small, medium, two parts, posted, copied, secret: seven blobs stored, seven messages, none retried.
    expect(counts.sent - before.sent).toBe(7);
    expect(counts.retried).toBe(before.retried);
    await converged({ bytes: true });
    const { json } = await h.admin("GET", "/_admin/replicas");
    expect(json.zones.find((z: { zone: string }) => z.zone === "ch-gva-2")).toMatchObject({ replica: true, unreplicated: 0, ssecUnreplicable: 1 });

    await setFaults(h, { r2: { R2_CH_GVA_2: ["*"] } }); // the home zone is gone: every call throws
    try {
      for (const [path, body] of expected) {
        const [Bucket, Key] = path.split("/");
        expect(md5(await get(Bucket, Key)), path).toBe(md5(body));
      }
      // A range across the part boundary, and one part by number.
      const all = expected.get(`${HOME}/big`)!;
      expect(md5(await get(HOME, "big", { Range: `bytes=${5 * MIB - 10}-${5 * MIB + 9}` }))).toBe(md5(all.subarray(5 * MIB - 10, 5 * MIB + 10)));
      expect(md5(await get(HOME, "big", { PartNumber: 2 }))).toBe(md5(part2));
      // Copy sources read from the replica too: a copy into the live zone, and an UploadPartCopy.
      await s3.send(new CopyObjectCommand({ Bucket: OTHER, Key: "rescued", CopySource: `${HOME}/big` }));
      expect(md5(await get(OTHER, "rescued"))).toBe(md5(all));
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: OTHER, Key: "part-copied" }));
      const { CopyPartResult } = await s3.send(
        new UploadPartCopyCommand({ Bucket: OTHER, Key: "part-copied", UploadId, PartNumber: 1, CopySource: `${HOME}/medium` }),
      );
      await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: OTHER,
          Key: "part-copied",
          UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: CopyPartResult!.ETag }] },
        }),
      );
      expect(md5(await get(OTHER, "part-copied"))).toBe(md5(expected.get(`${HOME}/medium`)!));
      expected.set(`${OTHER}/rescued`, all);
      expected.set(`${OTHER}/part-copied`, expected.get(`${HOME}/medium`)!);
      // Writes to the dead zone fail; nothing is acknowledged without its bytes.
      await expect(s3.send(new PutObjectCommand({ Bucket: HOME, Key: "refused", Body: "x" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
    } finally {
      await setFaults(h, {});
    }
    // A blob missing from its zone (lost there, the zone answering) is read from the replica as well.
    const small = (await referenced()).find((r) => r.zone === "ch-gva-2" && !r.ssec)!;
    const lost = await bytesIn("R2_CH_GVA_2", small.key);
    await (await h.mf.getR2Bucket("R2_CH_GVA_2")).delete(small.key);
    try {
      for (const [path, body] of expected) {
        const [Bucket, Key] = path.split("/");
        expect(md5(await get(Bucket, Key)), path).toBe(md5(body));
      }
    } finally {
      await (await h.mf.getR2Bucket("R2_CH_GVA_2")).put(small.key, new Uint8Array(lost!));
    }
    await settleJobs(h);
    await converged();
  });

  it("failed sends, lost, duplicated and failing replicate messages converge through the reconciling job", async () => {
    await setFaults(h, { failSends: true });
    await put("send-failed", randomBytes(4000)); // acknowledged: the send happens after the response
    await setFaults(h, { dropSends: true });
    await put("dropped", randomBytes(4000));
    await setFaults(h, { duplicateSends: true });
    await put("duplicated", randomBytes(4000));
    await settleJobs(h);
    await setFaults(h, { r2: { R2_CH_GVA_2_REPLICA: ["put"] } });
    await put("replica-down", randomBytes(4000));
    await settleJobs(h); // two failed attempts, then a dead letter
    await setFaults(h, {});
    const { json: dead } = await h.admin("GET", "/_admin/jobs/dead-letters");
    expect(dead.deadLetters.map((d: { kind: string }) => d.kind)).toEqual(["replicate"]);
    const { json: before } = await h.admin("GET", "/_admin/replicas");
    expect(before.zones.find((z: { zone: string }) => z.zone === "ch-gva-2").unreplicated).toBe(3);
    await nothingReferencedIsGone();

    await runCron(h); // reconcile-replicas finds the three and copies them
    await converged();
    for (const key of ["send-failed", "dropped", "duplicated", "replica-down"]) expect(md5(await get(HOME, key))).toBe(md5(expected.get(`${HOME}/${key}`)!));
  });

  it("deletions reach the replica after the home copy; shared and live blobs survive every sweep; no orphans remain", async () => {
    // A copy within the zone shares the blob: deleting the source must keep it, in both places.
    await put("shared-src", randomBytes(3000));
    await s3.send(new CopyObjectCommand({ Bucket: HOME, Key: "shared-copy", CopySource: `${HOME}/shared-src` }));
    await settleJobs(h);
    const db = await h.mf.getD1Database("DB");
    const blob = (await db.prepare("SELECT blob_key FROM objects WHERE key = 'shared-copy'").first<{ blob_key: string }>())!.blob_key;
    await s3.send(new DeleteObjectCommand({ Bucket: HOME, Key: "shared-src" }));
    await settleJobs(h);
    await nothingReferencedIsGone();
    expect(await bytesIn("R2_CH_GVA_2", blob)).not.toBeNull();
    expect(await bytesIn("R2_CH_GVA_2_REPLICA", blob)).not.toBeNull();
    expect(md5(await get(HOME, "shared-copy"))).toBe(md5(expected.get(`${HOME}/shared-src`)!));
    await converged();

    // Deleting the last reference frees the blob in the zone and in the replica, and forgets the copy.
    await s3.send(new DeleteObjectCommand({ Bucket: HOME, Key: "shared-copy" }));
    await settleJobs(h);
    expect(await bytesIn("R2_CH_GVA_2", blob)).toBeNull();
    expect(await bytesIn("R2_CH_GVA_2_REPLICA", blob)).toBeNull();
    expect(await replicaRows()).not.toContain(blob);

    // An orphan in a replica (a copy whose blob D1 no longer knows) goes with the orphan sweep, a day later.
    const orphan = `${blob.split("/")[0]}/${(Date.now() - 1000).toString(36).padStart(9, "0")}-${"0".repeat(24)}`;
    await (await h.mf.getR2Bucket("R2_CH_GVA_2_REPLICA")).put(orphan, "stray");
    await runCron(h, new Date(Date.now() + 2 * DAY));
    expect(await bytesIn("R2_CH_GVA_2_REPLICA", orphan)).toBeNull();
    await nothingReferencedIsGone();
    await converged();
    for (const [path, body] of expected) {
      const [Bucket, Key] = path.split("/");
      if (Key.startsWith("shared-")) continue;
      expect(md5(await get(Bucket, Key)), path).toBe(md5(body));
    }
  });

  it("measures replica lag and job messages after a burst of writes (figures printed, not asserted on time)", async () => {
    const N = 20;
    const before = await jobCounts(h);
    const started = Date.now();
    await Promise.all(Array.from({ length: N }, (_, i) => put(`burst-${i}`, randomBytes(64 * 1024))));
    const acked = Date.now();
    const counts = await settleJobs(h);
    const lagMs = Date.now() - acked;
    expect(counts.sent - before.sent).toBe(N); // one replicate message per write
    await converged();
    console.log(
      `replica lag: ${N} PutObjects of 64 KiB in ${acked - started} ms; every replica copy recorded ${lagMs} ms after the last acknowledgement; ${(counts.sent - before.sent) / N} job message(s) per write`,
    );
  });
});
