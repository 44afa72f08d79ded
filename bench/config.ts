/** What one benchmark run measures: the full run (the figures in docs/bench.md) or a ~30 s smoke run (--quick). */
import { MiB } from "./measure";

export type BenchConfig = {
  quick: boolean;
  /** closed-loop duration of each requests/s test */
  seconds: number;
  concurrency: number;
  smallBytes: number;
  largeBytes: number;
  /** transfers per large-object test; the median is reported */
  largeRuns: number;
  /** PUTs per object size when measuring D1 growth of inline objects */
  growthObjects: number;
  /** objects in each listing data set */
  listKeys: number;
  versionsPerKey: number;
  /** timed pages per listing test; median and p90 are reported */
  listRuns: number;
  multipartSizes: number[];
  partBytes: number;
  /** parts in flight, as S3 SDKs upload them (lib-storage's default queue size is 4) */
  partConcurrency: number;
};

export const FULL: BenchConfig = {
  quick: false,
  seconds: 5,
  concurrency: 8,
  smallBytes: 4 * 1024,
  largeBytes: 64 * MiB,
  largeRuns: 3,
  growthObjects: 200,
  listKeys: 20_000,
  versionsPerKey: 5,
  listRuns: 20,
  multipartSizes: [256 * MiB, 1024 * MiB],
  partBytes: 16 * MiB,
  partConcurrency: 4,
};

export const QUICK: BenchConfig = {
  ...FULL,
  quick: true,
  seconds: 1,
  largeBytes: 8 * MiB,
  largeRuns: 1,
  growthObjects: 50,
  listKeys: 2_000,
  listRuns: 5,
  multipartSizes: [16 * MiB, 32 * MiB],
  partBytes: 8 * MiB,
};
