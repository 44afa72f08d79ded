/**
 * `npm run bench:capacity`: the figures behind the capacity model in docs/capacity-and-limits.md.
 * Runs the real Worker in workerd (Miniflare) with D1 persisted on disk and its D1 binding metered
 * (bench/d1-meter-worker.ts), writes typical data sets through the S3 API, and reports per operation
 * the SQL time D1 itself reports, the rows read and written (what D1 bills and what the Free plan
 * caps), and the database bytes each object version costs. The SQL time is what occupies the
 * database: D1 runs one database's queries one at a time, so 1000 ms / (SQL ms per operation) bounds
 * the operations per second one database can serve, whatever the number of Workers.
 */
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import type { Miniflare } from "miniflare";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startSosWorker } from "../test/support/worker";
import { CREDS } from "./workers";

type Meter = { calls: number; statements: number; durationMs: number; rowsRead: number; rowsWritten: number };

const USAGE = `Usage: npm run bench:capacity -- [--quick]

  --quick   smaller data sets (about 20 s)

Writes data sets into sos-worker in workerd (D1 persisted in a temp directory) and prints, per
operation, D1's own SQL time, rows read and rows written, and the database bytes per object version.`;

/** Runs `f(i)` for i in [0, n) with at most `concurrency` in flight. */
async function pool(n: number, concurrency: number, f: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n) await f(next++);
    }),
  );
}

/** The database's size as D1 reports it after a statement (`meta.size_after`, as on Cloudflare). */
async function databaseBytes(mf: Miniflare): Promise<number> {
  const db = await mf.getD1Database("DB");
  const { meta } = await db.prepare("SELECT 1").all();
  return (meta as { size_after?: number }).size_after ?? Number.NaN;
}

/** A typical key: 35 bytes, spread over a few prefixes like a photo library. */
const keyOf = (i: number) => `photos/2026/${String(1 + (i % 12)).padStart(2, "0")}/IMG_${String(i).padStart(8, "0")}.jpg`;

export async function main(argv: string[]): Promise<number> {
  if (argv.includes("-h") || argv.includes("--help")) {
    console.log(USAGE);
    return 0;
  }
  const quick = argv.includes("--quick");
  const n = quick ? 600 : 2000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sos-capacity-"));
  const { mf, url } = await startSosWorker({
    entry: "bench/d1-meter-worker.ts",
    persistRoot: dir,
    bindings: {
      SOS_ROOT_ACCESS_KEY: CREDS.accessKeyId,
      SOS_ROOT_SECRET_KEY: CREDS.secretAccessKey,
      SOS_ADMIN_TOKEN: "bench-admin-token-0123456789",
      SOS_MASTER_KEY: "bench-master-key-0123456789",
    },
  });
  const s3 = new S3Client({ endpoint: url, region: "us-east-1", forcePathStyle: true, credentials: CREDS, maxAttempts: 3 });
  const meter = async (): Promise<Meter> => (await (await fetch(`${url}/__d1-meter`)).json()) as Meter;
  const rows: string[] = [];
  const perOp = async (label: string, count: number, run: (i: number) => Promise<unknown>, concurrency = 8) => {
    await meter(); // reset
    await pool(count, concurrency, run);
    await new Promise((r) => setTimeout(r, 200)); // work deferred after the response counts too
    const m = await meter();
    const f = (v: number, d = 2) => (v / count).toFixed(d);
    rows.push(
      `| ${label} | ${count} | ${f(m.calls)} | ${f(m.statements, 1)} | ${f(m.durationMs, 3)} | ${f(m.rowsRead, 1)} | ${f(m.rowsWritten, 1)} | ${Math.round(count / (m.durationMs / 1000))} |`,
    );
  };
  const sizes: string[] = [];
  const perVersion = async (label: string, versions: number, write: () => Promise<void>) => {
    const before = await databaseBytes(mf);
    await write();
    const after = await databaseBytes(mf);
    sizes.push(
      `| ${label} | ${versions} | ${Math.round((after - before) / versions)} | ${Math.round(10e9 / ((after - before) / versions) / 1e6)} million | ${Math.round(500e6 / ((after - before) / versions) / 1e3)} thousand |`,
    );
  };
  try {
    await s3.send(new CreateBucketCommand({ Bucket: "plain" }));
    await s3.send(new CreateBucketCommand({ Bucket: "versioned" }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: "versioned", VersioningConfiguration: { Status: "Enabled" } }));
    await s3.send(new PutObjectCommand({ Bucket: "plain", Key: "warm", Body: "w" })); // fills the isolate caches

    await perVersion("unversioned object, 35-byte key, no tags, default ACL", n, () =>
      perOp("PutObject (new key)", n, (i) => s3.send(new PutObjectCommand({ Bucket: "plain", Key: keyOf(i), Body: "x" }))),
    );
    await perOp("PutObject (overwrite, unversioned)", n / 4, (i) => s3.send(new PutObjectCommand({ Bucket: "plain", Key: keyOf(i), Body: "y" })));
    await perOp("GetObject", n / 4, (i) => s3.send(new GetObjectCommand({ Bucket: "plain", Key: keyOf(i) })).then((r) => r.Body?.transformToByteArray()));
    await perOp("HeadObject", n / 4, (i) => s3.send(new HeadObjectCommand({ Bucket: "plain", Key: keyOf(i) })));
    await perOp("ListObjectsV2 (page of 1000)", 20, () => s3.send(new ListObjectsV2Command({ Bucket: "plain", MaxKeys: 1000 })), 2);
    await perOp(
      "ListObjectsV2 (delimiter /, prefix photos/2026/)",
      20,
      () => s3.send(new ListObjectsV2Command({ Bucket: "plain", Prefix: "photos/2026/", Delimiter: "/" })),
      2,
    );
    await perVersion("version of a versioned object (4 per key)", n, () =>
      perOp("PutObject (new version, versioned)", n, (i) => s3.send(new PutObjectCommand({ Bucket: "versioned", Key: keyOf(i % (n / 4)), Body: "v" }))),
    );
    const tagged = n / 4;
    await perVersion("object with 10 tags and 5 metadata headers", tagged, () =>
      pool(tagged, 8, (i) =>
        s3.send(
          new PutObjectCommand({
            Bucket: "plain",
            Key: `tagged/${keyOf(i)}`,
            Body: "t",
            Tagging: Array.from({ length: 10 }, (_, t) => `tag${t}=value-${t}`).join("&"),
            Metadata: Object.fromEntries(Array.from({ length: 5 }, (_, m) => [`field${m}`, `metadata value ${m}`])),
          }),
        ),
      ),
    );
    const uploads = quick ? 3 : 10;
    const part = Buffer.alloc(5 * 1024 ** 2, 1);
    await perVersion("completed 3-part multipart object", uploads, () =>
      pool(uploads, 2, async (i) => {
        const key = `multipart/${keyOf(i)}`;
        const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: "plain", Key: key }));
        const parts = [];
        for (const [p, body] of [part, part, Buffer.from("end")].entries()) {
          const { ETag } = await s3.send(new UploadPartCommand({ Bucket: "plain", Key: key, UploadId, PartNumber: p + 1, Body: body }));
          parts.push({ ETag, PartNumber: p + 1 });
        }
        await s3.send(new CompleteMultipartUploadCommand({ Bucket: "plain", Key: key, UploadId, MultipartUpload: { Parts: parts } }));
      }),
    );
    await perOp("DeleteObject (unversioned)", n / 4, (i) => s3.send(new DeleteObjectCommand({ Bucket: "plain", Key: keyOf(i) })));

    console.log(`# sos-worker capacity figures (${new Date().toISOString()}, ${quick ? "quick" : "full"} run)\n`);
    console.log("D1 work per S3 operation (warm caches; SQL time as D1 reports it in each statement's meta):\n");
    console.log("| operation | requests | D1 calls | statements | SQL ms | rows read | rows written | ops/s one database sustains at this SQL time |");
    console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const r of rows) console.log(r);
    console.log("\nDatabase bytes per object version (growth of the SQLite database, pages included):\n");
    console.log("| data | versions | bytes per version | versions in 10 GB (Paid) | versions in 500 MB (Free) |");
    console.log("| --- | --- | --- | --- | --- |");
    for (const r of sizes) console.log(r);
    return 0;
  } finally {
    s3.destroy();
    await mf.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
