/**
 * Issue #2, objects: small PUT/GET requests/s at concurrency 8 over keep-alive connections, and
 * large single-request PUT/GET MiB/s over fresh connections. The two sides take turns within each
 * test, so both see the same machine state.
 */
import http from "node:http";
import type { BenchConfig } from "./config";
import { median, MiB, requestsPerSecond, timed } from "./measure";
import { patternBuffer, patternChecker, patternStream } from "./payload";
import { fixed, ratio, type Table } from "./report";
import type { Target } from "./targets";

type Pair = { sos: Target; base: Target };

const size = (bytes: number) => (bytes >= MiB ? `${bytes / MiB} MiB` : `${bytes / 1024} KiB`);

/**
 * Runs `test` on both sides in the order sos, R2, R2, sos (ABBA) and averages each side's two
 * results, so a change in machine load during the test (other processes share these cores) falls
 * on both sides alike.
 */
async function abba(sos: Target, base: Target, test: (t: Target, pass: 0 | 1) => Promise<number>): Promise<[number, number]> {
  const s0 = await test(sos, 0);
  const b0 = await test(base, 0);
  const b1 = await test(base, 1);
  const s1 = await test(sos, 1);
  return [(s0 + s1) / 2, (b0 + b1) / 2];
}

async function smallPuts(cfg: BenchConfig, t: Target, pass: number, body: Buffer, written: number[]): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: cfg.concurrency });
  try {
    return await requestsPerSecond(cfg.concurrency, (cfg.seconds * 1000) / 2, async (loop, n) => {
      await t.put(`small/${pass}/${loop}-${n}`, body, body.length, agent);
      if (pass === 0) written[loop] = n + 1;
    });
  } finally {
    agent.destroy();
  }
}

/** GETs the keys the first PUT pass wrote, round robin. */
async function smallGets(cfg: BenchConfig, t: Target, written: number[]): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: cfg.concurrency });
  const check = patternChecker(`${t.worker.name} small GET`);
  try {
    return await requestsPerSecond(cfg.concurrency, (cfg.seconds * 1000) / 2, async (loop, n) => {
      const bytes = await t.get(`small/0/${loop}-${n % written[loop]}`, check, agent);
      if (bytes !== cfg.smallBytes) throw new Error(`${t.worker.name} small GET: ${bytes} bytes, expected ${cfg.smallBytes}`);
    });
  } finally {
    agent.destroy();
  }
}

/** One large transfer (PUT of a fresh key, or GET of what `put` wrote); returns MiB/s. */
async function large(cfg: BenchConfig, t: Target, op: "put" | "get", key: string): Promise<number> {
  const ms = await timed(async () => {
    if (op === "put") return t.put(key, patternStream(cfg.largeBytes), cfg.largeBytes, false);
    const bytes = await t.get(key, patternChecker(`${t.worker.name} large GET`), false);
    if (bytes !== cfg.largeBytes) throw new Error(`${t.worker.name} large GET: ${bytes} bytes, expected ${cfg.largeBytes}`);
  });
  return cfg.largeBytes / MiB / (ms / 1000);
}

/** `largeRuns` transfers per side, alternating sides; the median of each side. */
async function largeMiBps(cfg: BenchConfig, sos: Target, base: Target, op: "put" | "get"): Promise<[number, number]> {
  const rates: [number[], number[]] = [[], []];
  for (let i = 0; i < cfg.largeRuns; i++) {
    const order =
      i % 2
        ? ([
            [base, 1],
            [sos, 0],
          ] as const)
        : ([
            [sos, 0],
            [base, 1],
          ] as const);
    for (const [t, side] of order) rates[side].push(await large(cfg, t, op, `large/${i}`));
  }
  return [median(rates[0]), median(rates[1])];
}

export async function objectSuite(cfg: BenchConfig, { sos, base }: Pair, log: (s: string) => void): Promise<Table> {
  const body = patternBuffer(cfg.smallBytes);
  const rows: string[][] = [];
  const row = (metric: string, [s, b]: [number, number]) => {
    rows.push([metric, fixed(s), fixed(b), ratio(s, b)]);
    log(`  ${metric}: sos ${fixed(s)}, R2 ${fixed(b)}`);
  };
  const written = new Map<Target, number[]>([sos, base].map((t) => [t, Array.from({ length: cfg.concurrency }, () => 0)]));

  row(`PutObject ${size(cfg.smallBytes)}, req/s (c=${cfg.concurrency})`, await abba(sos, base, (t, pass) => smallPuts(cfg, t, pass, body, written.get(t)!)));
  row(`GetObject ${size(cfg.smallBytes)}, req/s (c=${cfg.concurrency})`, await abba(sos, base, (t) => smallGets(cfg, t, written.get(t)!)));
  row(`PutObject ${size(cfg.largeBytes)}, MiB/s (median of ${cfg.largeRuns})`, await largeMiBps(cfg, sos, base, "put"));
  row(`GetObject ${size(cfg.largeBytes)}, MiB/s (median of ${cfg.largeRuns})`, await largeMiBps(cfg, sos, base, "get"));
  return {
    title: "Objects: sos-worker against the raw R2 binding",
    note:
      `Requests/s: ${cfg.concurrency} closed loops over keep-alive connections, ${cfg.seconds} s per side (sos, R2, R2, sos; the two halves averaged). ` +
      "MiB/s: one request per transfer on a fresh connection, the sides alternating; GETs are checked byte for byte. " +
      "ratio = sos-worker / raw R2 (higher is better; 1.00× = as fast as the bare binding).",
    header: ["metric", "sos-worker", "raw R2 baseline", "ratio"],
    rows,
  };
}
