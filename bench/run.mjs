#!/usr/bin/env node
// `npm run bench -- [--quick] [--fresh]`. The benchmark is TypeScript (bench/main.ts) so that it starts the
// Worker through the same module as the end-to-end tests (test/support/worker.ts); this launcher
// bundles it with esbuild (dependencies stay external) and runs it. See docs/bench.md.
import { build } from "esbuild";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root); // wrangler.toml, migrations/ and src/ are read relative to the repository root

// Inside node_modules so that the bundle's bare imports (miniflare, wrangler, ...) resolve.
const outfile = path.join(root, "node_modules", ".cache", "sos-bench", "main.mjs");
await build({
  entryPoints: [path.join(root, "bench", "main.ts")],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  outfile,
  // scripts/build-portal.mjs finds the repository from its own location: keep that location in the bundle.
  define: { "import.meta.url": JSON.stringify(pathToFileURL(path.join(root, "scripts", "build-portal.mjs")).href) },
  logLevel: "error",
});
const { main } = await import(pathToFileURL(outfile).href);
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  console.error(`bench: ${e?.stack ?? e}`);
  process.exitCode = 1;
}
