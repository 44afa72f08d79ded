#!/usr/bin/env node
// Builds the web portal (portal/src, Preact + TSX) into portal/dist, the static-assets directory of
// wrangler.toml's [assets]: portal/dist/_portal/{index.html,app.js,app.css,config.json} plus
// portal/dist/_headers (the Content-Security-Policy and other security headers, which both
// Miniflare and Cloudflare apply to every asset). Runs from `npm install` (prepare), `npm start`,
// `npm run deploy` and the tests; a build is skipped while no input is newer than the output.
//
//   node scripts/build-portal.mjs [--force] [--quiet]
import { build } from "esbuild";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SRC = path.join(ROOT, "portal", "src");
export const PORTAL_DIST = path.join(ROOT, "portal", "dist");
const OUT = path.join(PORTAL_DIST, "_portal");
/** Where the portal is served; an underscore cannot start a bucket name, so no bucket can shadow it. */
export const PORTAL_PATH = "/_portal/";

/** Strict CSP: scripts, styles and requests from this origin only; no inline code, no framing. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

const HEADERS = `# Written by scripts/build-portal.mjs: security headers of every portal asset.
${PORTAL_PATH}*
  Content-Security-Policy: ${CONTENT_SECURITY_POLICY}
  X-Content-Type-Options: nosniff
  X-Frame-Options: DENY
  Referrer-Policy: no-referrer
  Cross-Origin-Opener-Policy: same-origin
  Cross-Origin-Resource-Policy: same-origin
  Permissions-Policy: camera=(), microphone=(), geolocation=(), payment=()
  Cache-Control: no-cache
`;

/** Inputs of the build: the portal sources, what they import from src/, the zones in wrangler.toml, the toolchain. */
function inputs() {
  const walk = (dir) =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  return [
    ...walk(SRC).filter((f) => !f.endsWith(".test.ts")),
    fileURLToPath(import.meta.url),
    path.join(ROOT, "src/logic/names.ts"),
    path.join(ROOT, "src/errors.ts"),
    path.join(ROOT, "wrangler.toml"),
    path.join(ROOT, "package-lock.json"),
  ].filter((f) => fs.existsSync(f));
}

const OUTPUTS = ["index.html", "app.js", "app.css", "config.json"].map((f) => path.join(OUT, f)).concat(path.join(PORTAL_DIST, "_headers"));

export function portalIsStale() {
  const outTimes = OUTPUTS.map((f) => (fs.existsSync(f) ? fs.statSync(f).mtimeMs : -1));
  if (outTimes.includes(-1)) return true;
  const newestInput = Math.max(...inputs().map((f) => fs.statSync(f).mtimeMs));
  return newestInput > Math.min(...outTimes);
}

/** Zones from wrangler.toml's SOS_ZONES, for the zone choice of "Create a bucket". */
function zones() {
  const m = fs.readFileSync(path.join(ROOT, "wrangler.toml"), "utf8").match(/^\s*SOS_ZONES\s*=\s*"([^"]*)"/m);
  return m
    ? m[1]
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
}

/** Writes through a temporary file and a rename, so a concurrent reader never sees half a file. */
function writeAtomic(file, content) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

/** Builds the portal; returns the files written with their sizes ({ name, bytes, gzipBytes }). */
export async function buildPortal() {
  const common = {
    bundle: true,
    minify: true,
    write: false,
    logLevel: "error",
    legalComments: "none",
    target: ["es2020", "chrome90", "firefox90", "safari14"],
  };
  const js = await build({
    ...common,
    entryPoints: [path.join(SRC, "main.tsx")],
    format: "esm",
    jsx: "automatic",
    jsxImportSource: "preact",
    outfile: path.join(OUT, "app.js"),
  });
  const css = await build({ ...common, entryPoints: [path.join(SRC, "app.css")], outfile: path.join(OUT, "app.css") });
  const files = [
    ["app.js", js.outputFiles[0].contents],
    ["app.css", css.outputFiles[0].contents],
    ["index.html", fs.readFileSync(path.join(SRC, "index.html"))],
    ["config.json", JSON.stringify({ zones: zones(), partSize: 8 * 1024 * 1024 }) + "\n"],
  ];
  for (const [name, content] of files) writeAtomic(path.join(OUT, name), content);
  writeAtomic(path.join(PORTAL_DIST, "_headers"), HEADERS);
  return files.map(([name, content]) => {
    const buf = Buffer.from(content);
    return { name: `_portal/${name}`, bytes: buf.length, gzipBytes: zlib.gzipSync(buf, { level: 9 }).length };
  });
}

/** Builds the portal unless it is up to date; returns whether it built. */
export async function ensurePortalBuilt() {
  if (!portalIsStale()) return false;
  await buildPortal();
  return true;
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const force = process.argv.includes("--force");
  const quiet = process.argv.includes("--quiet");
  if (!force && !portalIsStale()) {
    if (!quiet) console.log(`portal: ${path.relative(process.cwd(), PORTAL_DIST) || "."} is up to date`);
  } else {
    const files = await buildPortal();
    if (!quiet) {
      for (const f of files) console.log(`portal: ${f.name.padEnd(20)} ${String(f.bytes).padStart(7)} B  ${String(f.gzipBytes).padStart(6)} B gzip`);
      const sum = (k) => files.reduce((n, f) => n + f[k], 0);
      console.log(`portal: total ${sum("bytes")} B, ${sum("gzipBytes")} B gzip, in ${path.relative(process.cwd(), PORTAL_DIST)}`);
    }
  }
}
