#!/usr/bin/env node
// `npm run bench -- [--quick] [--fresh]`. The benchmark is TypeScript (bench/main.ts) so that it starts the
// Worker through the same module as the end-to-end tests (test/support/worker.ts); this launcher
// bundles it with esbuild (dependencies stay external) and runs it. See docs/benchmarks.md.
import { build } from "esbuild";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root); // wrangler.toml, migrations/ and src/ are read relative to the repository root

// `node bench/run.mjs capacity ...` runs bench/capacity.ts (the capacity model's figures) instead.
const [suite, args] = process.argv[2] === "capacity" ? ["capacity", process.argv.slice(3)] : ["main", process.argv.slice(2)];
// Inside node_modules so that the bundle's bare imports (miniflare, wrangler, ...) resolve.
const outfile = path.join(root, "node_modules", ".cache", "sos-bench", `${suite}.mjs`);
await build({
  entryPoints: [path.join(root, "bench", `${suite}.ts`)],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  outfile,
  // scripts/build-portal.mjs finds the repository from its own location: keep that location in the bundle.
  define: { "import.meta.url": JSON.stringify(pathToFileURL(path.join(root, "scripts", "build-portal.mjs")).href) },
  logLevel: "error",
  // scripts/*.mjs find the repository from their own location: import them where they are.
  plugins: [
    {
      name: "scripts-in-place",
      setup(b) {
        b.onResolve({ filter: /scripts\/[^/]+\.mjs$/ }, (args) => ({ path: pathToFileURL(path.resolve(args.resolveDir, args.path)).href, external: true }));
      },
    },
  ],
});
const { main } = await import(pathToFileURL(outfile).href);
try {
  process.exitCode = await main(args);
} catch (e) {
  console.error(`bench: ${e?.stack ?? e}`);
  process.exitCode = 1;
}
