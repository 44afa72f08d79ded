/**
 * The cost of `npm start`'s HTTP front (scripts/front.mjs): the same sos-worker in workerd, reached
 * directly and through the front, in the same run. The front runs as its own Node process, as under
 * `npm start`, and the object suite's tests (small PUT/GET requests/s, large PUT/GET MiB/s, ABBA
 * order) run against both; ratio = fronted / direct.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import type { BenchConfig } from "./config";
import { objectSuite } from "./suite-objects";
import { sosTarget } from "./targets";
import type { Table } from "./report";
import type { BenchWorker } from "./workers";

/** Starts `node scripts/front.mjs --upstream <worker>`; resolves with its URL once it listens. */
function startFrontProcess(upstream: string): Promise<{ url: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.resolve("scripts/front.mjs"), "--upstream", upstream], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /front listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1], child });
    });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`scripts/front.mjs exited (${code}) before listening: ${out}`)));
  });
}

export async function frontSuite(cfg: BenchConfig, sos: BenchWorker, bucket: string, log: (s: string) => void): Promise<Table> {
  const { url, child } = await startFrontProcess(sos.url);
  try {
    const fronted: BenchWorker = { ...sos, name: "sos-worker via the front", url };
    const { rates: table } = await objectSuite(
      cfg,
      { subjects: [sosTarget(fronted, bucket, "through the front")], baselines: [sosTarget(sos, bucket, "direct")] },
      log,
    );
    return {
      ...table,
      title: "Local front (`npm start`): sos-worker through scripts/front.mjs against sos-worker direct",
      note:
        `Requests/s: ${cfg.concurrency} closed loops over keep-alive client connections, ${cfg.seconds} s per side (fronted, direct, direct, fronted; halves averaged). ` +
        "MiB/s: one request per transfer on a fresh connection, the sides alternating; GETs are checked byte for byte. " +
        "The front is its own Node process, as under `npm start`. ratio = fronted / direct (higher is better; 1.00× = the front costs nothing).",
    };
  } finally {
    child.kill("SIGTERM");
  }
}
