/**
 * `npm run bench -- [--quick] [--fresh]`: sos-worker against a Worker that only calls the R2 binding, both
 * in workerd through the Miniflare class, in the same run, and sos-worker through `npm start`'s front
 * against sos-worker direct. Each suite starts a fresh pair of
 * Workers on fresh storage (workerd's memory grows over long runs) and
 * disposes of them. Prints markdown tables; exits non-zero if any request misbehaves.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DEFAULT_INLINE_MAX_BYTES } from "../src/env";
import { FULL, QUICK, type BenchConfig } from "./config";
import { createSosBucket } from "./datasets";
import { renderTable, type Table } from "./report";
import { frontSuite } from "./suite-front";
import { listingSuite } from "./suite-listing";
import { multipartRows, multipartTable, sizeLabel } from "./suite-multipart";
import { objectSuite } from "./suite-objects";
import { inlineStorageSuite } from "./suite-inline-storage";
import { S3RVER_CREDS, s3rverVersion, startS3rver } from "./peer";
import { baselineTarget, sosTarget } from "./targets";
import { replicasSettled, startBaseline, startSos, type BenchWorker } from "./workers";

/** Lasting state: the baseline's listing data set (slow to write into local R2, never modified by a run). */
const CACHE_DIR = path.join("node_modules", ".cache", "sos-bench");

const USAGE = `Usage: npm run bench -- [--quick] [--fresh] [--no-peer]

  --quick   smoke run (about 30 s): short tests, small objects, 2,000-key listings
  --fresh   rebuild the raw R2 listing data set kept in ${CACHE_DIR} between runs
  --no-peer skip s3rver (the peer measured beside the small-object baselines)
  -h, --help

Runs sos-worker and a raw-R2 baseline Worker (bench/baseline-worker.js) in workerd via Miniflare
and prints the figures as ratios against the baseline measured in the same run.`;

const BENCH_BUCKET = "bench";

const version = (pkg: string): string => JSON.parse(fs.readFileSync(`node_modules/${pkg}/package.json`, "utf8")).version;

/**
 * Starts both Workers on fresh temp storage, runs `run`, disposes of them. `baselineState` instead
 * keeps the baseline's storage in a lasting directory (the listing data set, see datasets.ts).
 */
/**
 * Runs `run` against a fresh sos-worker and baseline. The sos-worker has no zone replica buckets
 * unless `replicas` (the objects suite measures the deployed configuration, replica copies included,
 * and waits for them between sides; elsewhere their background copies would fall into the other side's turn).
 */
async function withWorkers<T>(label: string, run: (sos: BenchWorker, base: BenchWorker) => Promise<T>, baselineState?: string, replicas = false): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sos-bench-"));
  const started: BenchWorker[] = [];
  try {
    started.push(await startSos(dir, {}, replicas));
    started.push(await startBaseline(baselineState ?? dir));
    process.stderr.write(`${label}\n`);
    const t0 = performance.now();
    const result = await run(started[0], started[1]);
    process.stderr.write(`  (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
    return result;
  } finally {
    for (const w of started) await w.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function machine(load: number[]): string {
  const cpus = os.cpus();
  return [
    `date: ${new Date().toISOString()}`,
    `machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? "unknown CPU"}, ${Math.round(os.totalmem() / 1024 ** 3)} GiB RAM, ${os.type()} ${os.release()}`,
    `load average at start: ${load.map((l) => l.toFixed(2)).join(", ")} (1, 5, 15 min; other processes share these cores)`,
    `runtime: Node ${process.version}, workerd ${version("workerd")} via Miniflare ${version("miniflare")} (Miniflare class on both sides, log level WARN, storage persisted on disk: temp dirs, and ${CACHE_DIR} for the raw R2 listing data set); the client runs on the same cores`,
  ].join("\n");
}

/** D1 growth per inline object: two sos-workers (inlining up to 1 MiB, and off), no baseline needed. */
async function inlineStorage(cfg: BenchConfig, log: (s: string) => void): Promise<Table> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sos-bench-"));
  const started: BenchWorker[] = [];
  try {
    started.push(await startSos(path.join(dir, "inline"), { SOS_INLINE_MAX_BYTES: String(1024 * 1024) }));
    started.push(await startSos(path.join(dir, "blob"), { SOS_INLINE_MAX_BYTES: "0" }));
    process.stderr.write("inline storage (issue #16)\n");
    const [inline, blob] = started;
    for (const w of started) await createSosBucket(w, BENCH_BUCKET);
    return await inlineStorageSuite(cfg, { t: sosTarget(inline, BENCH_BUCKET), w: inline }, { t: sosTarget(blob, BENCH_BUCKET), w: blob }, log);
  } finally {
    for (const w of started) await w.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes("-h") || argv.includes("--help")) {
    console.log(USAGE);
    return 0;
  }
  const unknown = argv.filter((a) => a !== "--quick" && a !== "--fresh" && a !== "--no-peer");
  const peerWanted = !argv.includes("--no-peer");
  if (unknown.length) {
    console.error(`bench: unknown argument ${unknown[0]}\n\n${USAGE}`);
    return 2;
  }
  const cfg: BenchConfig = argv.includes("--quick") ? QUICK : FULL;
  const log = (s: string) => process.stderr.write(s + "\n");
  const started = performance.now();
  const load = os.loadavg();
  const tables: Table[] = [];

  const objects = await withWorkers(
    "objects (issues #2 and #16)",
    async (sos, base) => {
      // The same build with inlining off: small objects in R2 blobs, as every object above the limit;
      // once as deployed (each blob copied to its zone's replica by a queue job, here in the same
      // workerd process) and once without replica buckets.
      const blobDir = fs.mkdtempSync(path.join(os.tmpdir(), "sos-bench-"));
      const blobs = await startSos(path.join(blobDir, "replicated"), { SOS_INLINE_MAX_BYTES: "0" });
      const unreplicated = await startSos(path.join(blobDir, "unreplicated"), { SOS_INLINE_MAX_BYTES: "0" }, false);
      const peer = peerWanted ? await startS3rver(path.join(blobDir, "s3rver"), BENCH_BUCKET) : null;
      try {
        await createSosBucket(sos, BENCH_BUCKET);
        await createSosBucket(blobs, BENCH_BUCKET);
        await createSosBucket(unreplicated, BENCH_BUCKET);
        const inline = `inline (SOS_INLINE_MAX_BYTES default ${DEFAULT_INLINE_MAX_BYTES})`;
        return await objectSuite(
          cfg,
          {
            subjects: [
              { ...sosTarget(sos, BENCH_BUCKET, cfg.smallBytes <= DEFAULT_INLINE_MAX_BYTES ? inline : "R2 blob"), settle: () => replicasSettled(sos) },
              {
                ...sosTarget(blobs, BENCH_BUCKET, "R2 blob (SOS_INLINE_MAX_BYTES=0), replica copies"),
                smallOnly: true,
                settle: () => replicasSettled(blobs),
              },
              { ...sosTarget(unreplicated, BENCH_BUCKET, "R2 blob, no zone replica"), smallOnly: true },
            ],
            baselines: [
              baselineTarget(base),
              baselineTarget(base, { d1: true }),
              ...(peer ? [{ ...sosTarget(peer, BENCH_BUCKET, `s3rver ${s3rverVersion()}`, S3RVER_CREDS), smallOnly: true }] : []),
            ],
          },
          log,
        );
      } finally {
        peer?.dispose();
        await blobs.dispose();
        await unreplicated.dispose();
        fs.rmSync(blobDir, { recursive: true, force: true });
      }
    },
    undefined,
    true,
  );
  tables.push(objects.rates, objects.cpu);
  tables.push(await inlineStorage(cfg, log));
  tables.push(
    await withWorkers("local front of npm start (issue #10)", async (sos) => {
      await createSosBucket(sos, BENCH_BUCKET);
      return frontSuite(cfg, sos, BENCH_BUCKET, log);
    }),
  );
  const listingState = path.join(CACHE_DIR, `r2-listing-${cfg.listKeys}-miniflare-${version("miniflare")}`);
  if (argv.includes("--fresh")) fs.rmSync(listingState, { recursive: true, force: true });
  tables.push(...(await withWorkers("listing (issues #2 and #4)", (sos, base) => listingSuite(cfg, sos, base, log), listingState)));
  const multipart: string[][] = [];
  let method = "";
  for (const [i, size] of cfg.multipartSizes.entries()) {
    const result = await withWorkers(`multipart ${sizeLabel(size)} (issue #3)`, async (sos, base) => {
      await createSosBucket(sos, BENCH_BUCKET);
      return multipartRows(cfg, size, sosTarget(sos, BENCH_BUCKET), baselineTarget(base), i % 2 === 0, log);
    });
    multipart.push(...result.rows);
    method = result.method;
  }
  tables.push(multipartTable(multipart, method));

  const seconds = (performance.now() - started) / 1000;
  console.log(`## sos-worker benchmark${cfg.quick ? " (--quick smoke run: not representative)" : ""}\n`);
  console.log("```\n" + machine(load) + `\nwall time: ${seconds.toFixed(0)} s\n` + "```\n");
  for (const t of tables) console.log(renderTable(t) + "\n");
  return 0;
}
