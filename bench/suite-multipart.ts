/**
 * Issue #3: multipart upload (CreateMultipartUpload, UploadPart × N, CompleteMultipartUpload) and
 * whole-object download MiB/s against R2's own multipart API, at two object sizes, with the peak
 * resident memory of each Worker's workerd process during every transfer. Streaming means the
 * peak must not grow with the object size; the sizes side by side show whether it does. Each size
 * runs on a fresh pair of Workers (main.ts), so no size inherits the memory left by the previous one.
 */
import { execFileSync } from "node:child_process";
import type { BenchConfig } from "./config";
import { MiB, peakRss, rssBytes, timed } from "./measure";
import { patternChecker } from "./payload";
import { fixed, ratio, type Table } from "./report";
import type { Target } from "./targets";

type Transfer = { mibps: number; beforeMiB: number; peakMiB: number; method: string };

async function upload(cfg: BenchConfig, t: Target, key: string, size: number): Promise<Transfer> {
  const beforeMiB = rssBytes(t.worker.pid) / MiB;
  const { result: ms, peakBytes, method } = await peakRss(t.worker.pid, () => timed(() => t.multipartUpload(key, size, cfg.partBytes, cfg.partConcurrency)));
  return { mibps: size / MiB / (ms / 1000), beforeMiB, peakMiB: peakBytes / MiB, method };
}

async function download(t: Target, key: string, size: number): Promise<Transfer> {
  const beforeMiB = rssBytes(t.worker.pid) / MiB;
  const {
    result: ms,
    peakBytes,
    method,
  } = await peakRss(t.worker.pid, () =>
    timed(async () => {
      const bytes = await t.get(key, patternChecker(`${t.worker.name} GET ${key}`), false);
      if (bytes !== size) throw new Error(`${t.worker.name} GET ${key}: ${bytes} bytes, expected ${size}`);
    }),
  );
  return { mibps: size / MiB / (ms / 1000), beforeMiB, peakMiB: peakBytes / MiB, method };
}

export const sizeLabel = (size: number) => (size >= 1024 * MiB ? `${size / 1024 / MiB} GiB` : `${size / MiB} MiB`);

const memory = (t: Transfer) => `${fixed(t.peakMiB, 0)} (from ${fixed(t.beforeMiB, 0)})`;

/** Flushes the page cache's dirty pages, so that one side's writes are not written back during the next side's transfer. */
const flushDisk = () => execFileSync("sync");

/** Two transfers' mean rate and highest memory peak. */
const combined = (a: Transfer, b: Transfer): Transfer => ({
  mibps: (a.mibps + b.mibps) / 2,
  beforeMiB: a.beforeMiB,
  peakMiB: Math.max(a.peakMiB, b.peakMiB),
  method: a.method,
});

/**
 * Upload then download one object of `size` twice on each side, in the order A B B A (`sosFirst`
 * picks A; it alternates between sizes), each transfer after a disk flush: one transfer per side in
 * a fixed order measured the second side against the first one's write-back and warm-up (a 1 GiB
 * upload read 0.74x and 0.84x in two runs of the same code), after one untimed upload per side.
 */
export async function multipartRows(
  cfg: BenchConfig,
  size: number,
  sos: Target,
  base: Target,
  sosFirst: boolean,
  log: (s: string) => void,
): Promise<{ rows: string[][]; method: string }> {
  const key = (round: number) => `mpu/${size}/${round}`;
  const label = sizeLabel(size);
  const parts = `${Math.ceil(size / cfg.partBytes)} × ${cfg.partBytes / MiB} MiB parts, ${cfg.partConcurrency} in flight`;
  const both = async (op: (t: Target, round: number) => Promise<Transfer>): Promise<[Transfer, Transfer]> => {
    const order = sosFirst ? [sos, base, base, sos] : [base, sos, sos, base];
    const done = new Map<Target, Transfer[]>([
      [sos, []],
      [base, []],
    ]);
    for (const t of order) {
      flushDisk();
      const mine = done.get(t)!;
      mine.push(await op(t, mine.length));
    }
    const [s1, s2] = done.get(sos)!;
    const [b1, b2] = done.get(base)!;
    return [combined(s1, s2), combined(b1, b2)];
  };
  // The first transfer a fresh pair of Workers makes runs about a quarter faster than the ones after
  // it, at less CPU per MiB (measured in both orders at 1 GiB): whichever side went first gained
  // half that on its mean. One untimed upload per side takes that turn.
  for (const t of sosFirst ? [sos, base] : [base, sos]) {
    flushDisk();
    await t.multipartUpload(`mpu/${size}/warm-up`, size, cfg.partBytes, cfg.partConcurrency);
  }
  const rows: string[][] = [];
  let method = "";
  for (const [name, [s, b]] of [
    [`multipart upload ${label} (${parts})`, await both((t, round) => upload(cfg, t, key(round), size))],
    [`download ${label} (one GET)`, await both((t, round) => download(t, key(round), size))],
  ] as const) {
    rows.push([name, fixed(s.mibps), fixed(b.mibps), ratio(s.mibps, b.mibps), memory(s), memory(b)]);
    log(`  ${name}: sos ${fixed(s.mibps)} MiB/s (RSS ${memory(s)} MiB), R2 ${fixed(b.mibps)} MiB/s (RSS ${memory(b)} MiB)`);
    method = s.method;
  }
  return { rows, method };
}

export function multipartTable(rows: string[][], method: string): Table {
  return {
    title: "Multipart: sos-worker against R2's multipart API, with workerd peak memory",
    note:
      "MiB/s: the mean of two transfers per side, in the order A B B A after one untimed upload per side, each after a disk flush (sync); ratio = sos-worker / raw R2 (higher is better). Peak RSS = " +
      (method === "VmHWM" ? "the high-water mark (VmHWM, reset before each transfer) " : "the highest VmRSS sampled every 20 ms ") +
      "of the Worker's workerd process during its two transfers, in MiB, with its RSS just before the first in brackets. " +
      "Each object size runs on freshly started Workers. Downloads are checked byte for byte.",
    header: ["metric", "sos-worker MiB/s", "raw R2 MiB/s", "ratio", "sos-worker peak RSS MiB", "raw R2 peak RSS MiB"],
    rows,
  };
}
