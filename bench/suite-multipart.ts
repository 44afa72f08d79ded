/**
 * Issue #3: multipart upload (CreateMultipartUpload, UploadPart × N, CompleteMultipartUpload) and
 * whole-object download MiB/s against R2's own multipart API, at two object sizes, with the peak
 * resident memory of each Worker's workerd process during every transfer. Streaming means the
 * peak must not grow with the object size; the sizes side by side show whether it does. Each size
 * runs on a fresh pair of Workers (main.ts), so no size inherits the memory left by the previous one.
 */
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

/** Upload then download one object of `size` on each side; `sosFirst` alternates the order between sizes. */
export async function multipartRows(
  cfg: BenchConfig,
  size: number,
  sos: Target,
  base: Target,
  sosFirst: boolean,
  log: (s: string) => void,
): Promise<{ rows: string[][]; method: string }> {
  const key = `mpu/${size}`;
  const label = sizeLabel(size);
  const parts = `${Math.ceil(size / cfg.partBytes)} × ${cfg.partBytes / MiB} MiB parts, ${cfg.partConcurrency} in flight`;
  const both = async (op: (t: Target) => Promise<Transfer>): Promise<[Transfer, Transfer]> => {
    if (sosFirst) {
      const s = await op(sos);
      return [s, await op(base)];
    }
    const b = await op(base);
    return [await op(sos), b];
  };
  const rows: string[][] = [];
  let method = "";
  for (const [name, [s, b]] of [
    [`multipart upload ${label} (${parts})`, await both((t) => upload(cfg, t, key, size))],
    [`download ${label} (one GET)`, await both((t) => download(t, key, size))],
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
      "MiB/s, ratio = sos-worker / raw R2 (higher is better). Peak RSS = " +
      (method === "VmHWM" ? "the high-water mark (VmHWM, reset before each transfer) " : "the highest VmRSS sampled every 20 ms ") +
      "of the Worker's workerd process during the transfer, in MiB, with its RSS just before the transfer in brackets. " +
      "Each object size runs on freshly started Workers. Downloads are checked byte for byte.",
    header: ["metric", "sos-worker MiB/s", "raw R2 MiB/s", "ratio", "sos-worker peak RSS MiB", "raw R2 peak RSS MiB"],
    rows,
  };
}
