// Types of the part of scripts/local-worker.mjs that the TypeScript tests and the benchmark import.
/** Bundles a Worker entry into `outdir`/index.js, as `npm start` does. */
export function bundleWorkerEntry(entryPath: string, outdir: string): Promise<void>;
