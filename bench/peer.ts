/**
 * A peer in the same run (issue #16): s3rver, the common local S3 server for Node (pinned in
 * package.json), in its own process (bench/peer-s3rver.mjs) so that its CPU is counted like a
 * workerd process's. It gets the same small-object load as sos-worker, over the same signed requests.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { Served } from "./targets";

/** s3rver's fixed default credentials. */
export const S3RVER_CREDS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

export const s3rverVersion = (): string => JSON.parse(fs.readFileSync("node_modules/s3rver/package.json", "utf8")).version;

/** Starts s3rver on a free port with `bucket` created, its files under `dir`. */
export function startS3rver(dir: string, bucket: string): Promise<Served & { dispose: () => void }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.resolve("bench/peer-s3rver.mjs"), dir, bucket], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /s3rver listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ name: "s3rver", url: m[1], pid: child.pid!, dispose: () => child.kill("SIGTERM") });
    });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`bench/peer-s3rver.mjs exited (${code}) before listening: ${out}`)));
  });
}
