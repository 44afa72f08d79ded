// The local front of `npm start` (scripts/front.mjs) with real clients at their defaults:
// - boto3, awscli and the JS SDK v3 send `Expect: 100-continue`; the front must answer it, so each
//   body follows the server's `100 Continue` on the wire (recordWire) instead of a client-side timeout,
//   and every byte must round-trip;
// - requests that made `wrangler dev` exit (a malformed aws-chunked body, an oversized XML document, a
//   client that leaves mid-body, a PUT over SOS_MAX_REQUEST_BYTES) get their S3 error and the server
//   keeps serving;
// - rclone uploads a file over SOS_MAX_REQUEST_BYTES with the upload_cutoff/chunk_size docs/local-server.md gives;
// - the state directory survives restarts and is shared with `npm run dev:wrangler` (wrangler dev
//   behind the same front, after `wrangler d1 migrations apply --local --persist-to`).
// Needs /usr/bin/python3 with python3-boto3, /usr/bin/aws and rclone (see clientDescribe in local-server.ts).
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { AwsV4Signer } from "aws4fetch";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SKIP_CLIENTS, clientDescribe, expectOk, recordWire, runClient, startLocalServer, type LocalServer, type WireRecord } from "./local-server";

const AK = "EXOFRONTTESTKEY00000000001";
const SK = "front-test-secret-key-000000000000000000";
const REGION = "us-east-1";
const BUCKET = "front-test";
const MAX_REQUEST_BYTES = 104_857_600; // wrangler.toml SOS_MAX_REQUEST_BYTES

const PYTHON = fs.existsSync("/usr/bin/python3") ? "/usr/bin/python3" : undefined;
const BOTO3 = PYTHON && (await runClient(PYTHON, ["-c", "import boto3"])).code === 0 ? PYTHON : undefined;
const AWS = fs.existsSync("/usr/bin/aws") ? "/usr/bin/aws" : undefined;
const RCLONE = ["/usr/bin/rclone", "/usr/local/bin/rclone"].find((p) => fs.existsSync(p));
const INSTALL = { installHint: "apt-get install -y python3-boto3 awscli rclone", tag: "local-front.test" };

let tmp = "";
let server: LocalServer | undefined;
const log = () => server?.log() ?? "";
const clientEnv = { AWS_ACCESS_KEY_ID: AK, AWS_SECRET_ACCESS_KEY: SK, AWS_DEFAULT_REGION: REGION };
const sha256 = (b: Buffer) => crypto.createHash("sha256").update(b).digest("hex");

function sdk(endpoint: string) {
  return new S3Client({ endpoint, region: REGION, forcePathStyle: true, credentials: { accessKeyId: AK, secretAccessKey: SK } });
}

/** `count` files of 1-40 KiB of random bytes in dir; name -> content. */
function makeFiles(dir: string, count: number): Map<string, Buffer> {
  fs.mkdirSync(dir, { recursive: true });
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const data = crypto.randomBytes(1024 + crypto.randomInt(40 * 1024));
    fs.writeFileSync(path.join(dir, `f${String(i).padStart(2, "0")}.bin`), data);
    files.set(`f${String(i).padStart(2, "0")}.bin`, data);
  }
  return files;
}

/** A wire recorder in front of the server for one test. */
async function withWire<T>(run: (wire: WireRecord) => Promise<T>): Promise<{ result: T; wire: WireRecord }> {
  const wire = await recordWire(server!.port);
  try {
    return { result: await run(wire), wire };
  } finally {
    await wire.close();
  }
}

/** Every expecting request got its 100 Continue before it sent a body byte. */
function expectAnswered(wire: WireRecord, atLeast: number) {
  expect(wire.expects(), "requests with Expect: 100-continue").toBeGreaterThanOrEqual(atLeast);
  expect(wire.continues(), "100 Continue answers").toBe(wire.expects());
  expect(wire.bodiesBeforeContinue(), "bodies sent before the 100 Continue").toBe(0);
}

beforeAll(async () => {
  if (SKIP_CLIENTS) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sos-front-test-"));
  server = await startLocalServer({ accessKeyId: AK, secretAccessKey: SK, stateDir: path.join(tmp, "state"), readyTimeoutMs: 120_000 });
  await sdk(server.endpoint).send(new CreateBucketCommand({ Bucket: BUCKET }));
}, 180_000);

afterAll(async () => {
  await server?.stop();
  if (tmp && process.env.SOS_KEEP_TMP !== "1") fs.rmSync(tmp, { recursive: true, force: true });
});

// ---------------------------------------------------------------- Expect: 100-continue with client defaults
clientDescribe(
  "boto3",
  BOTO3,
  () => {
    it("50 put_object calls with file bodies: every Expect answered, every byte back", async () => {
      const dir = path.join(tmp, "boto3");
      const files = makeFiles(dir, 50);
      const script = `
import boto3, json, os, sys
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], config=Config(s3={"addressing_style": "path"}))
names = sorted(os.listdir(sys.argv[2]))
for n in names:
    with open(os.path.join(sys.argv[2], n), "rb") as f:
        s3.put_object(Bucket="${BUCKET}", Key="boto3/" + n, Body=f)
import hashlib
print(json.dumps({n: hashlib.sha256(s3.get_object(Bucket="${BUCKET}", Key="boto3/" + n)["Body"].read()).hexdigest() for n in names}))
`;
      const { result, wire } = await withWire((w) => runClient(BOTO3!, ["-c", script, w.endpoint, dir], { env: clientEnv }));
      const got = JSON.parse(expectOk(result, log()).stdout);
      expect(got).toEqual(Object.fromEntries([...files].map(([n, b]) => [n, sha256(b)])));
      expectAnswered(wire, 50);
    });
  },
  { ...INSTALL, wanted: "/usr/bin/python3 with boto3" },
);

clientDescribe(
  "awscli",
  AWS,
  () => {
    it("aws s3 sync of 50 small files: every Expect answered, the tree comes back identical", async () => {
      const src = path.join(tmp, "sync-src");
      const dst = path.join(tmp, "sync-dst");
      const files = makeFiles(src, 50);
      const { wire } = await withWire(async (w) => {
        expectOk(await runClient(AWS!, ["--endpoint-url", w.endpoint, "s3", "sync", src, `s3://${BUCKET}/sync/`], { env: clientEnv }), log());
      });
      expectAnswered(wire, 50);
      expectOk(await runClient(AWS!, ["--endpoint-url", server!.endpoint, "s3", "sync", `s3://${BUCKET}/sync/`, dst], { env: clientEnv }), log());
      expect(fs.readdirSync(dst).sort()).toEqual([...files.keys()].sort());
      for (const [n, b] of files) expect(sha256(fs.readFileSync(path.join(dst, n))), n).toBe(sha256(b));
    });
  },
  { ...INSTALL, wanted: "/usr/bin/aws" },
);

/** One JS SDK PutObject at its defaults through a wire recorder; returns what the recorder saw. */
async function sdkPutThroughWire(key: string, body: Buffer) {
  const { wire } = await withWire(async (w) => {
    const client = sdk(w.endpoint);
    try {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    } finally {
      client.destroy();
    }
  });
  return wire;
}

describe.skipIf(SKIP_CLIENTS)("JS SDK v3", () => {
  it("one 3 MB PutObject: the Expect is answered, the bytes come back", async () => {
    const body = crypto.randomBytes(3 * 1024 * 1024);
    expectAnswered(await sdkPutThroughWire("sdk/3mb", body), 1);
    const got = await sdk(server!.endpoint).send(new GetObjectCommand({ Bucket: BUCKET, Key: "sdk/3mb" }));
    expect(sha256(Buffer.from(await got.Body!.transformToByteArray()))).toBe(sha256(body));
  });
});

// ---------------------------------------------------------------- requests that must not stop the server
type Reply = { status: number; headers: http.IncomingHttpHeaders; body: string };

/** A SigV4-signed request (payload hash as given) written by hand, so its body can be malformed. */
async function rawRequest(
  method: string,
  urlPath: string,
  headers: Record<string, string>,
  body: Buffer | Readable,
  opts: { abortAfterBytes?: number } = {},
): Promise<Reply> {
  const url = `${server!.endpoint}${urlPath}`;
  const signer = new AwsV4Signer({ url, method, headers, service: "s3", region: REGION, accessKeyId: AK, secretAccessKey: SK });
  const signedHeaders = Object.fromEntries((await signer.sign()).headers as unknown as Iterable<[string, string]>);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: signedHeaders, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      res.on("error", reject);
    });
    req.on("error", (e) => (opts.abortAfterBytes !== undefined ? resolve({ status: 0, headers: {}, body: String(e) }) : reject(e)));
    if (Buffer.isBuffer(body)) return req.end(body);
    let sent = 0;
    body.on("data", (chunk: Buffer) => {
      sent += chunk.length;
      if (opts.abortAfterBytes !== undefined && sent >= opts.abortAfterBytes) {
        body.destroy();
        req.destroy(); // the client goes away mid-body
      }
    });
    body.pipe(req);
  });
}

const zeros = (bytes: number) =>
  Readable.from(
    (function* () {
      for (let left = bytes; left > 0; left -= 65536) yield Buffer.alloc(Math.min(65536, left));
    })(),
  );
const chunked = (body: string, decodedLength: number) => ({
  headers: {
    "content-encoding": "aws-chunked",
    "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    "x-amz-decoded-content-length": String(decodedLength),
    "content-length": String(Buffer.byteLength(body)),
  },
  body: Buffer.from(body),
});
const s3Code = (r: Reply) => /<Code>([^<]+)<\/Code>/.exec(r.body)?.[1];

/** The server still works: a normal PUT and GET round-trip. */
async function stillServing(tag: string) {
  const client = sdk(server!.endpoint);
  try {
    const body = crypto.randomBytes(1000);
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `after/${tag}`, Body: body }));
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `after/${tag}` }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body), `round trip after ${tag}`).toBe(true);
  } finally {
    client.destroy();
  }
}

describe.skipIf(SKIP_CLIENTS)("bad requests do not stop the local server", () => {
  it("aws-chunked body with chunk size 'zz'", async () => {
    const { headers, body } = chunked("zz\r\nabc\r\n0\r\n\r\n", 3);
    const r = await rawRequest("PUT", `/${BUCKET}/bad-zz`, headers, body);
    expect(r.status).toBe(400);
    expect(s3Code(r)).toBeTruthy();
    await stillServing("zz");
  });

  it("aws-chunked chunk longer than the data", async () => {
    const { headers, body } = chunked("1000\r\nabc", 4096);
    const r = await rawRequest("PUT", `/${BUCKET}/bad-long-chunk`, headers, body);
    expect(r.status).toBe(400);
    expect(s3Code(r)).toBeTruthy();
    await stillServing("long-chunk");
  });

  for (const sub of ["tagging", "acl", "cors"]) {
    it(`1.1 MB PutBucket${sub[0].toUpperCase() + sub.slice(1)} body`, async () => {
      const body = Buffer.from("<x>" + "a".repeat(1_100_000) + "</x>");
      const r = await rawRequest("PUT", `/${BUCKET}?${sub}`, { "x-amz-content-sha256": sha256(body), "content-length": String(body.length) }, body);
      expect(r.status).toBe(400);
      expect(s3Code(r)).toBeTruthy();
      await stillServing(sub);
    });
  }

  it("a client that disconnects mid-body", async () => {
    const size = 20 * 1024 * 1024;
    const r = await rawRequest("PUT", `/${BUCKET}/abandoned`, { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "content-length": String(size) }, zeros(size), {
      abortAfterBytes: 2 * 1024 * 1024,
    });
    expect(r.status).toBe(0);
    await stillServing("disconnect");
    const head = await rawRequest("HEAD", `/${BUCKET}/abandoned`, { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, Buffer.alloc(0));
    expect(head.status, "a cut-off upload stores nothing").toBe(404);
  });

  it("a single PUT over SOS_MAX_REQUEST_BYTES gets EntityTooLarge naming the limit, then the connection closes", async () => {
    const size = MAX_REQUEST_BYTES + 5 * 1024 * 1024;
    const r = await rawRequest(
      "PUT",
      `/${BUCKET}/too-large`,
      { "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "content-length": String(size), expect: "100-continue" },
      zeros(size),
    );
    expect(r.status).toBe(400);
    expect(s3Code(r)).toBe("EntityTooLarge");
    expect(r.body).toContain(`<MaxSizeAllowed>${MAX_REQUEST_BYTES}</MaxSizeAllowed>`);
    expect(r.headers.connection).toBe("close");
    await stillServing("too-large");
  });
});

// ---------------------------------------------------------------- rclone over the request limit
clientDescribe(
  "rclone",
  RCLONE,
  () => {
    it("a ~105 MB upload with upload_cutoff/chunk_size inside SOS_MAX_REQUEST_BYTES round-trips (the default config gets EntityTooLarge)", async () => {
      const file = path.join(tmp, "rclone", "big.bin");
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const data = crypto.randomBytes(105_000_000);
      fs.writeFileSync(file, data);
      const conf = path.join(tmp, "rclone", "rclone.conf");
      const remote = [
        "[sos]",
        "type = s3",
        "provider = Other",
        `access_key_id = ${AK}`,
        `secret_access_key = ${SK}`,
        `endpoint = ${server!.endpoint}`,
        `region = ${REGION}`,
        "force_path_style = true",
      ];
      fs.writeFileSync(conf, [...remote, "upload_cutoff = 100Mi", "chunk_size = 64Mi", ""].join("\n"));
      fs.writeFileSync(conf + ".default", [...remote, ""].join("\n"));
      const rclone = (cfg: string, ...args: string[]) => runClient(RCLONE!, ["--config", cfg, ...args], { timeoutMs: 180_000 });

      const refused = await rclone(conf + ".default", "copyto", file, `sos:${BUCKET}/rclone/default.bin`, "--retries", "1", "--low-level-retries", "1");
      expect(refused.code, "rclone's default 200 MiB upload_cutoff sends one 105 MB PUT").not.toBe(0);
      expect(refused.stderr).toMatch(/EntityTooLarge/);

      expectOk(await rclone(conf, "copyto", file, `sos:${BUCKET}/rclone/big.bin`), log());
      const back = path.join(tmp, "rclone", "back.bin");
      expectOk(await rclone(conf, "copyto", `sos:${BUCKET}/rclone/big.bin`, back), log());
      expect(sha256(fs.readFileSync(back))).toBe(sha256(data));
      fs.rmSync(path.join(tmp, "rclone"), { recursive: true, force: true });
    });
  },
  { ...INSTALL, wanted: "rclone" },
);

// ---------------------------------------------------------------- the state directory, and the wrangler dev path
describe.skipIf(SKIP_CLIENTS)("state directory", () => {
  it("is shared with `npm run dev:wrangler` (wrangler dev, wrangler d1 migrations) and keeps its data across restarts", async () => {
    const { port } = server!;
    const stateDir = path.join(tmp, "state");
    const restart = async (args: string[]) => {
      await server!.stop();
      server = await startLocalServer({ accessKeyId: AK, secretAccessKey: SK, stateDir, port, args, readyTimeoutMs: 120_000 });
    };
    const getBytes = async (key: string) => {
      const client = sdk(server!.endpoint);
      try {
        return Buffer.from(await (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToByteArray());
      } finally {
        client.destroy();
      }
    };
    const before = crypto.randomBytes(100_000);
    const first = sdk(server!.endpoint);
    await first.send(new PutObjectCommand({ Bucket: BUCKET, Key: "state/before", Body: before }));
    first.destroy();

    // wrangler dev behind the front (its start runs `wrangler d1 migrations apply --local --persist-to`,
    // which must find everything applied): the same data, and the Expect is answered there too.
    await restart(["--wrangler"]);
    expect(sha256(await getBytes("state/before"))).toBe(sha256(before));
    const body = crypto.randomBytes(3 * 1024 * 1024);
    expectAnswered(await sdkPutThroughWire("wrangler/3mb", body), 1);

    // And back to Miniflare: what either runtime wrote is there.
    await restart([]);
    expect(sha256(await getBytes("wrangler/3mb"))).toBe(sha256(body));
    expect(sha256(await getBytes("state/before"))).toBe(sha256(before));
  }, 240_000);
});
