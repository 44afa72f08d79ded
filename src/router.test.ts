import { describe, expect, it } from "vitest";
import { isAdminPath, route } from "./router";

const BASE = "s3.example.test";

function op(method: string, url: string, headers: Record<string, string> = {}) {
  const r = route(method, new URL(url), new Headers(headers), BASE);
  return { op: r.op, bucket: r.bucket, key: r.key };
}

describe("route: path style", () => {
  it.each([
    ["GET", "http://h/", {}, "ListBuckets", null, null],
    ["PUT", "http://h/b", {}, "CreateBucket", "b", null],
    ["HEAD", "http://h/b", {}, "HeadBucket", "b", null],
    ["DELETE", "http://h/b/", {}, "DeleteBucket", "b", null],
    ["GET", "http://h/b", {}, "ListObjects", "b", null],
    ["GET", "http://h/b?list-type=2&prefix=a", {}, "ListObjectsV2", "b", null],
    ["GET", "http://h/b?location", {}, "GetBucketLocation", "b", null],
    ["GET", "http://h/b?versions", {}, "ListObjectVersions", "b", null],
    ["GET", "http://h/b?uploads", {}, "ListMultipartUploads", "b", null],
    ["POST", "http://h/b?delete", {}, "DeleteObjects", "b", null],
    ["POST", "http://h/b", {}, "PostObject", "b", null],
    ["PUT", "http://h/b?versioning", {}, "PutBucketVersioning", "b", null],
    ["GET", "http://h/b?acl", {}, "GetBucketAcl", "b", null],
    ["DELETE", "http://h/b?cors", {}, "DeleteBucketCors", "b", null],
    ["GET", "http://h/b?policy", {}, "GetBucketPolicy", "b", null],
    ["GET", "http://h/b/k", {}, "GetObject", "b", "k"],
    ["HEAD", "http://h/b/a/b/c", {}, "HeadObject", "b", "a/b/c"],
    ["PUT", "http://h/b/k", {}, "PutObject", "b", "k"],
    ["PUT", "http://h/b/k", { "x-amz-copy-source": "/s/k" }, "CopyObject", "b", "k"],
    ["DELETE", "http://h/b/k", {}, "DeleteObject", "b", "k"],
    ["POST", "http://h/b/k?uploads", {}, "CreateMultipartUpload", "b", "k"],
    ["PUT", "http://h/b/k?partNumber=1&uploadId=u", {}, "UploadPart", "b", "k"],
    ["PUT", "http://h/b/k?uploadId=u&partNumber=1", { "x-amz-copy-source": "/s/k" }, "UploadPartCopy", "b", "k"],
    ["POST", "http://h/b/k?uploadId=u", {}, "CompleteMultipartUpload", "b", "k"],
    ["DELETE", "http://h/b/k?uploadId=u", {}, "AbortMultipartUpload", "b", "k"],
    ["GET", "http://h/b/k?uploadId=u", {}, "ListParts", "b", "k"],
    ["GET", "http://h/b/k?tagging", {}, "GetObjectTagging", "b", "k"],
    ["PUT", "http://h/b/k?acl", {}, "PutObjectAcl", "b", "k"],
    ["GET", "http://h/b/k?partNumber=2", {}, "GetObject", "b", "k"],
    ["OPTIONS", "http://h/b/k", {}, "Preflight", "b", "k"],
    ["PUT", "http://h/", {}, "MethodNotAllowed", null, null],
    ["POST", "http://h/b/k", {}, "MethodNotAllowed", "b", "k"],
  ])("%s %s -> %s", (method, url, headers, expected, bucket, key) => {
    expect(op(method, url, headers as Record<string, string>)).toEqual({ op: expected, bucket, key });
  });

  it("decodes keys exactly, keeping slashes, spaces and unicode", () => {
    expect(op("GET", "http://h/b/a%20b/%E6%97%A5%2Bx//y").key).toBe("a b/日+x//y");
  });

  it("does not depend on the order of query parameters or rules", () => {
    expect(op("PUT", "http://h/b/k?uploadId=u&partNumber=3").op).toBe("UploadPart");
    expect(op("GET", "http://h/b?prefix=x&list-type=2&delimiter=/").op).toBe("ListObjectsV2");
  });
});

describe("route: virtual-host style", () => {
  it.each([
    ["GET", `http://bkt.${BASE}/`, "ListObjects", "bkt", null],
    ["GET", `http://bkt.${BASE}/?list-type=2`, "ListObjectsV2", "bkt", null],
    ["PUT", `http://bkt.${BASE}/k/e%20y`, "PutObject", "bkt", "k/e y"],
    ["GET", `http://my.dotted.bkt.${BASE}/k`, "GetObject", "my.dotted.bkt", "k"],
    ["GET", `http://${BASE}/`, "ListBuckets", null, null],
    ["GET", `http://${BASE}/bkt/k`, "GetObject", "bkt", "k"],
  ])("%s %s -> %s", (method, url, expected, bucket, key) => {
    expect(op(method, url)).toEqual({ op: expected, bucket, key });
  });

  it("keeps the admin API out of the S3 namespace", () => {
    expect(isAdminPath(new URL(`http://${BASE}/_admin/users`), BASE)).toBe(true);
    expect(isAdminPath(new URL("http://127.0.0.1:8787/_admin/users"), BASE)).toBe(true);
    // In a virtual-hosted bucket, /_admin/users is just an object key.
    expect(isAdminPath(new URL(`http://bkt.${BASE}/_admin/users`), BASE)).toBe(false);
    expect(op("GET", `http://bkt.${BASE}/_admin/users`)).toEqual({ op: "GetObject", bucket: "bkt", key: "_admin/users" });
  });
});

describe("route: zone endpoint hosts", () => {
  // The base domain and two zone hosts, one of them under the base domain: the longest match wins.
  const DOMAINS = [BASE, "sos-ch-gva-2.example.test", `fra.${BASE}`];
  const at = (url: string) => {
    const r = route("GET", new URL(url), new Headers(), DOMAINS);
    return { op: r.op, bucket: r.bucket, key: r.key, virtualHost: r.virtualHost };
  };
  it("takes the bucket from <bucket>.<zone host> and the path on the zone host itself", () => {
    expect(at("http://bkt.sos-ch-gva-2.example.test/k")).toEqual({ op: "GetObject", bucket: "bkt", key: "k", virtualHost: true });
    expect(at("http://sos-ch-gva-2.example.test/bkt/k")).toEqual({ op: "GetObject", bucket: "bkt", key: "k", virtualHost: false });
    expect(at(`http://fra.${BASE}/`)).toEqual({ op: "ListBuckets", bucket: null, key: null, virtualHost: false });
    expect(at(`http://bkt.fra.${BASE}/`)).toEqual({ op: "ListObjects", bucket: "bkt", key: null, virtualHost: true });
    expect(isAdminPath(new URL("http://sos-ch-gva-2.example.test/_admin/users"), DOMAINS)).toBe(true);
  });
});
