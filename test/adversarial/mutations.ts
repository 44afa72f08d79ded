/**
 * Mutations of a correctly signed request, each with the answer S3 gives it. Pure: given a
 * request and how it is authenticated, list every single-part change (add, remove or change
 * each header, query parameter, path segment, the method, one body byte) and the status and
 * error code that must refuse it.
 *
 * What each mechanism covers (and so which mutations change a signed meaning):
 * - SigV4 (header or presigned): method, path, every query parameter, every signed header; every
 *   x-amz-* header present must be signed (else 403 AccessDenied "headers ... not signed"); the
 *   body through x-amz-content-sha256 (hex), chunk signatures, or a checksum (trailer, Content-MD5).
 * - SigV2: method, path, sub-resource query parameters, Content-MD5, Content-Type, Date and every
 *   x-amz-* header; the body through Content-MD5.
 * - POST Object: the policy signature covers the policy, whose conditions cover every field.
 */
import type { RawRequest } from "../support/raw-signer";

export type Auth = "v4-header" | "v4-presigned" | "v2-header";
/** What protects the body bytes (null: nothing, or no body) */
export type BodyProtection = "sha256" | "chunk-signature" | "trailer-crc32" | "content-md5" | null;
export type Expected = [status: number, code: string];
export type Mutation = { label: string; request: RawRequest; want: Expected };

const DENIED: Expected = [403, "AccessDenied"];
const MISMATCH: Expected = [403, "SignatureDoesNotMatch"];
const BAD_QUERY_AUTH: Expected = [400, "AuthorizationQueryParametersError"];

/** x-amz-* headers whose unsigned addition would change what the request does. */
export const ADDED_AMZ_HEADERS: Record<string, string> = {
  "x-amz-acl": "public-read",
  "x-amz-copy-source": "/mx-other/src.txt",
  "x-amz-copy-source-range": "bytes=0-1",
  "x-amz-grant-read": 'uri="http://acs.amazonaws.com/groups/global/AllUsers"',
  "x-amz-grant-full-control": "id=attacker",
  "x-amz-meta-injected": "1",
  "x-amz-tagging": "a=b",
  "x-amz-tagging-directive": "REPLACE",
  "x-amz-metadata-directive": "REPLACE",
  "x-amz-storage-class": "STANDARD_IA",
  "x-amz-website-redirect-location": "/elsewhere",
  "x-amz-server-side-encryption-customer-algorithm": "AES256",
  "x-amz-server-side-encryption-customer-key": Buffer.alloc(32, 7).toString("base64"),
  "x-amz-server-side-encryption-customer-key-md5": "x",
  "x-amz-copy-source-server-side-encryption-customer-key": Buffer.alloc(32, 7).toString("base64"),
  "x-amz-checksum-sha256": Buffer.alloc(32).toString("base64"),
  "x-amz-sdk-checksum-algorithm": "SHA256",
  "x-amz-expected-bucket-owner": "123",
  "x-amz-bypass-governance-retention": "true",
  "x-amz-object-lock-mode": "GOVERNANCE",
  "x-amz-security-token": "token",
  "x-amz-request-payer": "requester",
};

/** Query parameters whose addition would select another operation or sub-resource. */
const ADDED_QUERY: [string, string | null][] = [
  ["acl", ""],
  ["tagging", ""],
  ["versionId", "v1"],
  ["uploads", ""],
  ["partNumber", "2"],
  ["uploadId", "u1"],
  ["delete", ""],
  ["response-content-type", "text%2Fhtml"],
  ["x-id", "DeleteObject"],
  ["x-amz-acl", "public-read"],
];
/** Sub-resources SigV2 signs (the others are not covered by a V2 signature, in S3 as here). */
const V2_SUBRESOURCES = new Set(["acl", "tagging", "versionId", "uploads", "partNumber", "uploadId", "delete", "response-content-type"]);

const PRESIGN_PARAMS = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"];
/** Framing the wire needs as it is: changing it is a different body, covered by the body mutation. */
const TRANSPORT = new Set(["content-length"]);

const clone = (r: RawRequest): RawRequest => ({ ...r, headers: { ...r.headers }, query: r.query.map(([k, v]) => [k, v]), body: Buffer.from(r.body) });

/** A different but well-formed value, so that only the meaning changes. */
export function changedValue(name: string, value: string): string {
  if (name === "date") return new Date(Date.parse(value) + 1000).toUTCString();
  if (/^\d{8}T\d{6}Z$/.test(value)) {
    const t = Date.UTC(+value.slice(0, 4), +value.slice(4, 6) - 1, +value.slice(6, 8), +value.slice(9, 11), +value.slice(11, 13), +value.slice(13, 15)) + 1000;
    return new Date(t).toISOString().replace(/[:-]|\.\d{3}/g, "");
  }
  if (/^[0-9a-f]{64}$/.test(value)) return (value[0] === "0" ? "1" : "0") + value.slice(1);
  if (value.startsWith("STREAMING-"))
    return value === "STREAMING-UNSIGNED-PAYLOAD-TRAILER" ? "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" : "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
  if (value === "UNSIGNED-PAYLOAD") return "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  if (/^\d+$/.test(value)) return String(Number(value) + 1);
  if (name === "content-md5" || name.startsWith("x-amz-checksum-")) return Buffer.alloc(Buffer.from(value, "base64").length, 1).toString("base64");
  return value + "x";
}

/** Flips one byte of the payload (of the first chunk's data for aws-chunked framing). */
function flipBodyByte(r: RawRequest, chunked: boolean): RawRequest {
  const m = clone(r);
  const at = chunked ? m.body.indexOf("\r\n") + 2 : Math.floor(m.body.length / 2);
  m.body[at] = m.body[at]! ^ 0x01;
  return m;
}

const BODY_ANSWER: Record<Exclude<BodyProtection, null>, Expected> = {
  sha256: [400, "XAmzContentSHA256Mismatch"],
  "chunk-signature": MISMATCH,
  "trailer-crc32": [400, "BadDigest"],
  "content-md5": [400, "BadDigest"],
};

/** Every mutation of `base` and S3's answer to it; `anonymous` is the answer without any signature. */
export function mutationsOf(base: RawRequest, auth: Auth, body: BodyProtection, anonymous: Expected): Mutation[] {
  const out: Mutation[] = [];
  const add = (label: string, edit: (m: RawRequest) => void, want: Expected) => {
    const m = clone(base);
    edit(m);
    out.push({ label, request: m, want });
  };
  const signedHeaders = new Set(
    auth === "v4-header"
      ? /SignedHeaders=([^,]+)/.exec(base.headers.authorization!)![1]!.split(";")
      : auth === "v4-presigned"
        ? decodeURIComponent(base.query.find(([k]) => k === "X-Amz-SignedHeaders")![1]!).split(";")
        : Object.keys(base.headers).filter((n) => n === "content-md5" || n === "content-type" || n === "date" || n.startsWith("x-amz-")),
  );

  // Headers: remove and change each one the signature covers.
  for (const [name, value] of Object.entries(base.headers)) {
    if (TRANSPORT.has(name) || name === "authorization" || !signedHeaders.has(name)) continue;
    if (name !== "host") {
      const removed: Expected = name === "x-amz-date" || name === "date" ? DENIED : name === "x-amz-content-sha256" ? [400, "InvalidRequest"] : MISMATCH;
      add(`remove header ${name}`, (m) => delete m.headers[name], removed);
    }
    const changed = name === "host" ? `other.invalid:${new URL(base.origin).port}` : changedValue(name, value);
    add(`change header ${name}`, (m) => (m.headers[name] = changed), MISMATCH);
  }
  // Headers: add each x-amz-* header that would change the meaning.
  for (const [name, value] of Object.entries(ADDED_AMZ_HEADERS)) {
    if (name in base.headers) continue;
    add(`add header ${name}`, (m) => (m.headers[name] = value), auth === "v2-header" ? MISMATCH : DENIED);
  }
  // The credential itself.
  if (auth === "v4-header" || auth === "v2-header") {
    const a = base.headers.authorization!;
    add("remove header authorization", (m) => delete m.headers.authorization, anonymous);
    add("change the signature", (m) => (m.headers.authorization = a.replace(/.$/, (c) => (c === "0" ? "1" : "0"))), MISMATCH);
    add("change the access key id", (m) => (m.headers.authorization = a.replace(/(Credential=|AWS )(.)/, (_, p, c) => p + (c === "Z" ? "Y" : "Z"))), [
      403,
      "InvalidAccessKeyId",
    ]);
    if (auth === "v4-header") {
      add("SignedHeaders without x-amz-date", (m) => (m.headers.authorization = a.replace(/;x-amz-date/, "")), DENIED);
      add("SignedHeaders without host", (m) => (m.headers.authorization = a.replace(/SignedHeaders=([^,]*)host;?/, "SignedHeaders=$1")), DENIED);
    }
  } else {
    add("add an Authorization header too", (m) => (m.headers.authorization = "AWS4-HMAC-SHA256 Credential=x"), [400, "InvalidArgument"]);
  }

  // Query: remove and change every parameter, add the ones that select something else.
  base.query.forEach(([name, value], i) => {
    const presign = PRESIGN_PARAMS.includes(name);
    add(`remove query ${name}`, (m) => m.query.splice(i, 1), presign ? BAD_QUERY_AUTH : MISMATCH);
    let want: Expected = MISMATCH;
    let v = value === null || value === "" ? "x" : changedValue(name, value);
    if (name === "X-Amz-Algorithm") want = BAD_QUERY_AUTH;
    if (name === "X-Amz-Credential") [v, want] = [(value![0] === "Z" ? "Y" : "Z") + value!.slice(1), [403, "InvalidAccessKeyId"]];
    if (name === "X-Amz-SignedHeaders") v = value + "%3Bzz-not-sent";
    add(`change query ${name}`, (m) => (m.query[i] = [name, v]), want);
  });
  for (const [name, value] of ADDED_QUERY) {
    if (base.query.some(([k]) => k === name)) continue;
    if (auth === "v2-header" && !V2_SUBRESOURCES.has(name)) continue;
    add(`add query ${name}`, (m) => m.query.push([name, value]), MISMATCH);
  }

  // Path: another bucket, another key, one segment more or less.
  const segments = base.path.split("/");
  add("path: other bucket", (m) => (m.path = ["", "mx-other", ...segments.slice(2)].join("/")), MISMATCH);
  add("path: extra segment", (m) => (m.path = base.path + "/extra"), MISMATCH);
  if (segments.length > 2) {
    add("path: other key", (m) => (m.path = base.path + "x"), MISMATCH);
    add("path: key removed", (m) => (m.path = segments.slice(0, -1).join("/")), MISMATCH);
  }
  add("method", (m) => (m.method = { PUT: "POST", POST: "PUT", GET: "DELETE", DELETE: "GET" }[base.method] ?? "GET"), MISMATCH);

  if (body !== null && base.body.length > 0) {
    out.push({ label: "one body byte", request: flipBodyByte(base, body === "chunk-signature" || body === "trailer-crc32"), want: BODY_ANSWER[body] });
  }
  return out;
}

/** A POST Object form: fields in order (the file comes last). */
export type Form = { fields: [string, string][]; file: Buffer };

/** Which form fields carry the signature (the rest is covered by the policy's conditions). */
const SIGNATURE_FIELDS = new Set(["policy", "x-amz-signature", "x-amz-credential", "x-amz-date", "x-amz-algorithm"]);

/** Form fields a policy does not allow: each is an "Extra input field" (403 AccessDenied). */
const ADDED_FIELDS: [string, string][] = [
  ["acl", "public-read"],
  ["x-amz-meta-injected", "1"],
  ["x-amz-storage-class", "STANDARD_IA"],
  ["Cache-Control", "no-store"],
  ["x-amz-server-side-encryption-customer-algorithm", "AES256"],
  ["success_action_redirect", "https://attacker.example/"],
  ["x-amz-website-redirect-location", "/elsewhere"],
];

/** Every mutation of a signed POST Object form and S3's answer (the form is rebuilt by `build`). */
export function formMutationsOf(form: Form, build: (f: Form, bucket?: string) => RawRequest): Mutation[] {
  const out: Mutation[] = [];
  const add = (label: string, fields: [string, string][], want: Expected, bucket?: string) =>
    out.push({ label, request: build({ fields, file: form.file }, bucket), want });
  form.fields.forEach(([name, value], i) => {
    const lower = name.toLowerCase();
    const without = form.fields.filter((_, j) => j !== i);
    // Without a signature field the form is incomplete; without another field a condition fails.
    add(`remove field ${name}`, without, SIGNATURE_FIELDS.has(lower) || lower === "key" ? [400, "InvalidArgument"] : DENIED);
    let v = changedValue(lower, value);
    let want: Expected = DENIED; // a policy condition no longer holds
    if (lower === "policy" || lower === "x-amz-signature") want = MISMATCH;
    if (lower === "policy") v = value.replace(/^./, (c) => (c === "e" ? "f" : "e"));
    if (lower === "x-amz-signature") v = (value[0] === "0" ? "1" : "0") + value.slice(1);
    if (lower === "x-amz-credential") [v, want] = [(value[0] === "Z" ? "Y" : "Z") + value.slice(1), [403, "InvalidAccessKeyId"]];
    if (lower === "x-amz-algorithm") want = [400, "InvalidArgument"];
    add(
      `change field ${name}`,
      form.fields.map((f, j) => (j === i ? [name, v] : f)),
      want,
    );
  });
  for (const [name, value] of ADDED_FIELDS) add(`add field ${name}`, [...form.fields, [name, value]], DENIED);
  add("path: other bucket", form.fields, DENIED, "mx-other");
  return out;
}
