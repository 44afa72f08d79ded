/** Protocol-level behaviour: addressing styles, error documents, unimplemented operations. */
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { AwsClient } from "aws4fetch";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, startWorker, type Harness } from "./harness";

const BASE = "s3.sos.test";
let h: Harness;
const signer = new AwsClient({ ...ROOT, service: "s3", region: "us-east-1", retries: 0 });

beforeAll(async () => {
  h = await startWorker({ SOS_BASE_DOMAIN: BASE });
  await h.client().send(new CreateBucketCommand({ Bucket: "vhost" }));
});
afterAll(() => h?.dispose());

/** Sends a request signed for `virtualUrl` to the local Worker, keeping the virtual Host header. */
async function viaHost(virtualUrl: string, init: RequestInit = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const signed = await signer.sign(virtualUrl, init);
  const port = new URL(h.url).port;
  const u = new URL(signed.url);
  const body = init.body ? Buffer.from(init.body as string) : undefined;
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, method: signed.method, path: u.pathname + u.search, headers: { ...Object.fromEntries(signed.headers), host: u.host } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString(), headers: res.headers }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("virtual-host style addressing", () => {
  it("puts, gets and lists through <bucket>.<base domain>", async () => {
    const port = new URL(h.url).port;
    const put = await viaHost(`http://vhost.${BASE}:${port}/dir/key%20one.txt`, { method: "PUT", body: "virtual" });
    expect(put.status).toBe(200);
    const get = await viaHost(`http://vhost.${BASE}:${port}/dir/key%20one.txt`);
    expect(get).toMatchObject({ status: 200, body: "virtual" });
    const list = await viaHost(`http://vhost.${BASE}:${port}/?list-type=2`);
    expect(list.body).toContain("<Key>dir/key one.txt</Key>");
    // The same object is reachable path-style.
    const pathStyle = await signer.fetch(`${h.url}/vhost/dir/key%20one.txt`);
    expect(await pathStyle.text()).toBe("virtual");
  });

  it("treats /_admin under a bucket host as an object key, not the admin API", async () => {
    const port = new URL(h.url).port;
    const res = await viaHost(`http://vhost.${BASE}:${port}/_admin/users`);
    expect(res.status).toBe(404);
    expect(res.body).toContain("<Code>NoSuchKey</Code>");
  });
});

describe("errors and unimplemented operations", () => {
  it("answers real-but-unbuilt S3 operations with NotImplemented (501) as XML with a request id", async () => {
    const res = await signer.fetch(`${h.url}/vhost?website`);
    expect(res.status).toBe(501);
    const text = await res.text();
    expect(text).toMatch(/<Code>NotImplemented<\/Code>/);
    expect(text).toMatch(/<RequestId>[0-9A-F]+<\/RequestId>/);
    expect(res.headers.get("x-amz-request-id")).toBeTruthy();
    expect(res.headers.get("content-type")).toBe("application/xml");
  });

  it("answers MethodNotAllowed for methods S3 does not define on a resource", async () => {
    const res = await signer.fetch(`${h.url}/`, { method: "PUT" });
    expect(res.status).toBe(405);
    expect(await res.text()).toContain("<Code>MethodNotAllowed</Code>");
  });

  it("stores a PutObject body of unknown length (fetch streams it chunked); semantics.test.ts covers the rest", async () => {
    const body = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode("no length"));
        c.close();
      },
    });
    const signed = await signer.sign(`${h.url}/vhost/unknown-length`, { method: "PUT", headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
    const res = await fetch(signed.url, { method: "PUT", headers: signed.headers, body, duplex: "half" } as RequestInit);
    expect(res.status).toBe(200);
    const back = await signer.fetch(`${h.url}/vhost/unknown-length`);
    expect(await back.text()).toBe("no length");
  });

  it("puts a request id on successful responses too", async () => {
    const out = await h.client().send(new PutObjectCommand({ Bucket: "vhost", Key: "rid", Body: "x" }));
    expect(out.$metadata.requestId).toMatch(/^[0-9A-F]{16}$/);
  });
});
