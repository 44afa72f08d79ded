/** Timing and memory primitives of the benchmark: closed-loop throughput, latency samples, workerd peak RSS. */
import fs from "node:fs";

export const MiB = 1024 * 1024;

/**
 * Runs `op` from `concurrency` loops for `durationMs`; each loop starts its next request when the
 * previous one ends (closed loop, as a client with N connections does). Returns completed requests/s.
 */
export async function requestsPerSecond(concurrency: number, durationMs: number, op: (loop: number, n: number) => Promise<void>): Promise<number> {
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
  return done / ((performance.now() - start) / 1000);
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
