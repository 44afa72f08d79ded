/**
 * Issue #2, objects: small PUT/GET requests/s at concurrency 8 over keep-alive connections, and
 * large single-request PUT/GET MiB/s over fresh connections, for sos-worker and each baseline. The
 * sides take turns within each test, so all see the same machine state. Each test also records the
 * CPU its Worker's process spent (issue #16): per request for small objects, per MiB for transfers.
 */
import http from "node:http";
import type { BenchConfig } from "./config";
import { median, MiB, requestsPerSecond, timed, withCpu } from "./measure";
import { patternBuffer, patternChecker, patternStream } from "./payload";
import { fixed, ratio, type Table } from "./report";
import type { Target } from "./targets";

/**
 * What one object suite compares: the configurations under test (sos-worker as deployed, and e.g.
 * with inlining off) and the baselines each is divided by. `smallOnly` subjects skip the large
 * transfers (an inlining setting changes nothing above the inline limit).
 */
export type Sides = { subjects: Side[]; baselines: Side[] };
type Side = Target & {
  smallOnly?: boolean;
  /** resolves once the side's background work from its writes is done (zone replica copies): a PUT test's window lasts until then */
  settle?: () => Promise<void>;
};

/** One side's result in one test: the rate, and the CPU ms its process spent per request or per MiB. */
type Measured = { rate: number; cpuPerUnit: number };

const size = (bytes: number) => (bytes >= MiB ? `${bytes / MiB} MiB` : `${bytes / 1024} KiB`);

/**
 * Runs `test` on every side in the order A B C, then C B A (each pass half the duration) and
 * averages each side's two rates, so a change in machine load during the test (other processes
 * share these cores) falls on all sides alike. CPU is summed over both passes.
 */
async function alternate(
  sides: Side[],
  test: (t: Target, pass: 0 | 1) => Promise<{ perSecond: number; requests: number }>,
  opts: { settle?: boolean } = {},
): Promise<Measured[]> {
  const acc = sides.map(() => ({ rate: 0, cpu: 0, units: 0 }));
  const order = [...sides.map((t, i) => [t, i, 0] as const), ...[...sides].reverse().map((t, i) => [t, sides.length - 1 - i, 1] as const)];
  for (const [t, i, pass] of order) {
    const { result, cpuMs } = await withCpu(t.worker.pid, async () => {
      const started = performance.now();
      const r = await test(t, pass);
      if (!opts.settle || !t.settle) return r;
      // The background work these requests caused counts in their window, not in the next side's.
      await t.settle();
      return { ...r, perSecond: r.requests / ((performance.now() - started) / 1000) };
    });
    acc[i].rate += result.perSecond / 2;
    acc[i].cpu += cpuMs;
    acc[i].units += result.requests;
  }
  return acc.map((a) => ({ rate: a.rate, cpuPerUnit: a.cpu / a.units }));
}

async function smallPuts(cfg: BenchConfig, t: Target, pass: number, body: Buffer, written: number[]) {
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
async function smallGets(cfg: BenchConfig, t: Target, written: number[]) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: cfg.concurrency });
  const check = patternChecker(`${t.label} small GET`);
  try {
    return await requestsPerSecond(cfg.concurrency, (cfg.seconds * 1000) / 2, async (loop, n) => {
      const bytes = await t.get(`small/0/${loop}-${n % written[loop]}`, check, agent);
      if (bytes !== cfg.smallBytes) throw new Error(`${t.label} small GET: ${bytes} bytes, expected ${cfg.smallBytes}`);
    });
  } finally {
    agent.destroy();
  }
}

/** One large transfer (PUT of a fresh key, or GET of what `put` wrote); returns MiB/s and the CPU ms it cost. */
async function large(cfg: BenchConfig, t: Target, op: "put" | "get", key: string): Promise<{ rate: number; cpuMs: number }> {
  const { result: ms, cpuMs } = await withCpu(t.worker.pid, () =>
    timed(async () => {
      if (op === "put") return t.put(key, patternStream(cfg.largeBytes), cfg.largeBytes, false);
      const bytes = await t.get(key, patternChecker(`${t.label} large GET`), false);
      if (bytes !== cfg.largeBytes) throw new Error(`${t.label} large GET: ${bytes} bytes, expected ${cfg.largeBytes}`);
    }),
  );
  return { rate: cfg.largeBytes / MiB / (ms / 1000), cpuMs };
}

/** `largeRuns` transfers per side, the order of the sides reversed on every run; the median rate of each side (a PUT's replica copy is waited for, untimed). */
async function largeMiBps(cfg: BenchConfig, sides: Side[], op: "put" | "get"): Promise<Measured[]> {
  const runs = sides.map(() => ({ rates: [] as number[], cpu: 0 }));
  for (let i = 0; i < cfg.largeRuns; i++) {
    const order = sides.map((t, s) => [t, s] as const);
    if (i % 2) order.reverse();
    for (const [t, s] of order) {
      const r = await large(cfg, t, op, `large/${i}`);
      // Its replica copy (background work after the response) must not run during the next side's transfer.
      if (op === "put") await t.settle?.();
      runs[s].rates.push(r.rate);
      runs[s].cpu += r.cpuMs;
    }
  }
  return runs.map((r) => ({ rate: median(r.rates), cpuPerUnit: r.cpu / ((cfg.largeRuns * cfg.largeBytes) / MiB) }));
}

export type ObjectTables = { rates: Table; cpu: Table };

export async function objectSuite(cfg: BenchConfig, { subjects, baselines }: Sides, log: (s: string) => void): Promise<ObjectTables> {
  const body = patternBuffer(cfg.smallBytes);
  const rates: string[][] = [];
  const cpu: string[][] = [];
  const all = [...subjects, ...baselines];
  const large = all.filter((t) => !t.smallOnly);
  /** Rows of one test: one per subject measured, each against the same baseline figures ("–": not measured). */
  const rows = (metric: string, unit: string, sides: Target[], m: Measured[]) => {
    const byLabel = new Map(sides.map((t, i) => [t.label, m[i]]));
    const base = baselines.map((b) => byLabel.get(b.label));
    for (const subject of subjects) {
      const s = byLabel.get(subject.label);
      if (!s) continue;
      const name = subjects.length > 1 ? `${metric}, ${subject.label}` : metric;
      rates.push([name, fixed(s.rate), ...base.map((b) => (b ? fixed(b.rate) : "–")), ...base.map((b) => (b ? ratio(s.rate, b.rate) : "–"))]);
    }
    cpu.push([
      `${metric.replace(/, (req|MiB)\/s.*/, "")}, CPU ms per ${unit}`,
      ...all.map((t) => (byLabel.has(t.label) ? fixed(byLabel.get(t.label)!.cpuPerUnit, 2) : "–")),
    ]);
    log(`  ${metric}: ${m.map((x, i) => `${sides[i].label} ${fixed(x.rate)} (cpu ${fixed(x.cpuPerUnit, 2)} ms/${unit})`).join(", ")}`);
  };
  const written = new Map<Target, number[]>(all.map((t) => [t, Array.from({ length: cfg.concurrency }, () => 0)]));

  const c = `c=${cfg.concurrency}`;
  rows(
    `PutObject ${size(cfg.smallBytes)}, req/s (${c})`,
    "request",
    all,
    await alternate(all, (t, pass) => smallPuts(cfg, t, pass, body, written.get(t)!), { settle: true }),
  );
  rows(`GetObject ${size(cfg.smallBytes)}, req/s (${c})`, "request", all, await alternate(all, (t) => smallGets(cfg, t, written.get(t)!)));
  rows(`PutObject ${size(cfg.largeBytes)}, MiB/s (median of ${cfg.largeRuns})`, "MiB", large, await largeMiBps(cfg, large, "put"));
  rows(`GetObject ${size(cfg.largeBytes)}, MiB/s (median of ${cfg.largeRuns})`, "MiB", large, await largeMiBps(cfg, large, "get"));
  const names = baselines.map((b) => b.label);
  return {
    rates: {
      title: `Objects: ${subjects.map((t) => t.label).join(", ")} against ${names.join(", ")}`,
      note:
        `Requests/s: ${cfg.concurrency} closed loops over keep-alive connections, ${cfg.seconds} s per side (the sides in turn, then in reverse order; the two halves averaged). ` +
        "MiB/s: one request per transfer on a fresh connection, the sides taking turns; GETs are checked byte for byte. " +
        "ratio = the measured side / baseline (higher is better; 1.00× = as fast as the baseline).",
      header: ["metric", subjects.length > 1 ? "measured" : subjects[0].label, ...names, ...names.map((o) => `ratio to ${o}`)],
      rows: rates,
    },
    cpu: {
      title: `CPU of the Worker's process: ${all.map((t) => t.label).join(", ")}`,
      note:
        "user + system CPU of the serving process and its descendants (/proc/<pid>/stat, all threads) over each measured window, divided by the requests completed or the MiB moved " +
        "(lower is better). A workerd process also runs Miniflare's local D1 and R2 simulators (SQLite, blob files) and the HTTP server, so these are upper bounds for the Worker's own code; " +
        "the baselines carry the same simulator costs for the calls they make.",
      header: ["metric", ...all.map((t) => t.label)],
      rows: cpu,
    },
  };
}
