/** Timing and memory primitives of the benchmark: closed-loop throughput, latency samples, workerd peak RSS. */
import { execFileSync } from "node:child_process";
import fs from "node:fs";

export const MiB = 1024 * 1024;

/**
 * Runs `op` from `concurrency` loops for `durationMs`; each loop starts its next request when the
 * previous one ends (closed loop, as a client with N connections does). Returns completed requests/s and their number.
 */
export async function requestsPerSecond(
  concurrency: number,
  durationMs: number,
  op: (loop: number, n: number) => Promise<void>,
): Promise<{ perSecond: number; requests: number }> {
  const start = performance.now();
  const deadline = start + durationMs;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, loop) => {
      for (let n = 0; performance.now() < deadline; n++) {
        await op(loop, n);
        done++;
      }
    }),
  );
  return { perSecond: done / ((performance.now() - start) / 1000), requests: done };
}

/** Wall time of `op` in ms. */
export async function timed(op: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await op();
  return performance.now() - start;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

function statusField(pid: number, field: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no ${field} for pid ${pid}`);
  return Number(m[1]) * 1024;
}

export const rssBytes = (pid: number) => statusField(pid, "VmRSS");

/**
 * Peak resident memory of a process while `op` runs. The kernel's high-water mark (VmHWM) is
 * reset first through /proc/<pid>/clear_refs, so it covers exactly this interval; where that is
 * not allowed, VmRSS sampled every 20 ms is the fallback (it can miss a short spike).
 */
export async function peakRss<T>(pid: number, op: () => Promise<T>): Promise<{ result: T; peakBytes: number; method: "VmHWM" | "sampled VmRSS" }> {
  let exact = true;
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, "5");
  } catch {
    exact = false;
  }
  let sampled = rssBytes(pid);
  const timer = setInterval(() => {
    sampled = Math.max(sampled, rssBytes(pid));
  }, 20);
  try {
    const result = await op();
    sampled = Math.max(sampled, rssBytes(pid));
    return exact ? { result, peakBytes: statusField(pid, "VmHWM"), method: "VmHWM" } : { result, peakBytes: sampled, method: "sampled VmRSS" };
  } finally {
    clearInterval(timer);
  }
}

/** Kernel clock ticks per second, the unit of /proc/<pid>/stat's utime and stime. */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** [ppid, utime + stime in ticks] of a process, or null once it has ended. */
function procStat(pid: number): [number, number] | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid ... utime stime ...": comm may contain spaces, so split after the last ')'
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return [Number(f[1]), Number(f[11]) + Number(f[12])];
  } catch {
    return null;
  }
}

/**
 * CPU time (user + system, ms) that process `pid` and its descendants have used since they started,
 * all threads included. Sampled before and after a measured window, the difference is the CPU that
 * window cost (10 ms resolution: windows are seconds long).
 */
export function cpuMs(pid: number): number {
  const stats = new Map<number, [number, number]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const s = procStat(Number(entry));
    if (s) stats.set(Number(entry), s);
  }
  const inTree = (p: number): boolean => {
    for (let q = p, hops = 0; q > 1 && hops < 32; q = stats.get(q)?.[0] ?? 0, hops++) if (q === pid) return true;
    return false;
  };
  let ticks = 0;
  for (const [p, [, t]] of stats) if (inTree(p)) ticks += t;
  return (ticks * 1000) / CLOCK_TICKS;
}

/** Runs `op` and returns its result with the CPU ms process `pid` (and its descendants) spent meanwhile. */
export async function withCpu<T>(pid: number, op: () => Promise<T>): Promise<{ result: T; cpuMs: number }> {
  const before = cpuMs(pid);
  const result = await op();
  return { result, cpuMs: cpuMs(pid) - before };
}
