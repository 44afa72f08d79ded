/**
 * Request-mutation corpus: for each operation below, a correctly signed request is taken apart
 * and every single change (add, remove or change each header, query parameter and path segment,
 * the method, one body byte; for POST Object every form field) is sent to the Worker in workerd
 * with real D1 and R2. Each must be refused with S3's status and code (mutations.ts derives them
 * from what the signature covers), and a snapshot of every D1 row and R2 key taken around each
 * operation's mutations must be unchanged. The unmutated request must then succeed, which proves
 * the refusals come from the mutations.
 *
 * Adding an operation: add one row to ROWS (or FORM_ROWS for a browser form): its name, how it is
 * authenticated, what protects its body, and a `request()` that signs it with the helpers of
 * test/support/raw-signer.ts against the fixtures made in beforeAll (add fixtures there). Only
 * where S3's answer to a mutation differs from the generic rule, name it in `overrides`.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT_USER_ID } from "../../src/identity";
import { ROOT, startWorker, type Harness } from "../e2e/harness";
import { formBody, signedPostFields } from "../support/post-form";
import { closeRawAgent, codeOf, presignV4, sendRaw, signV2, signV4, type RawRequest } from "../support/raw-signer";
import { changes, snapshot } from "../support/snapshot";
import { formMutationsOf, mutationsOf, type Auth, type BodyProtection, type Expected, type Form, type Mutation } from "./mutations";

const B = "mx-main";
let h: Harness;
let uploadId: string;
const md5 = (b: Buffer | string) => createHash("md5").update(b).digest("base64");
const empty = Buffer.alloc(0);
const xml = (s: string) => Buffer.from(s);
const ACL = xml(
  `<AccessControlPolicy><Owner><ID>${ROOT_USER_ID}</ID></Owner><AccessControlList><Grant>` +
    `<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>${ROOT_USER_ID}</ID></Grantee>` +
    `<Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>`,
);
const DELETE = xml("<Delete><Object><Key>del-target</Key></Object></Delete>");
/** Bucket with object lock (and so versioning) for the lock rows; `locked.txt` lives in it. */
const LOCK_B = "mx-lock";
const inOneYear = () => new Date(Date.now() + 365 * 86400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
const POLICY = xml(
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:DeleteObject", Resource: `arn:aws:s3:::${B}/keep/*` }],
  }),
);
/**
 * The configuration writes that arrived with policies, object lock and lifecycle: each is a signed PUT
 * of an XML (or JSON) body to a sub-resource, so its meaning is the body, the sub-resource and the target.
 */
const SUBRESOURCE_PUTS: { op: string; bucket: string; key?: string; query: string; body: Buffer; okStatus?: number }[] = [
  { op: "PutBucketPolicy", bucket: B, query: "policy", body: POLICY, okStatus: 204 },
  {
    op: "PutPublicAccessBlock",
    bucket: B,
    query: "publicAccessBlock",
    body: xml(
      "<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls>" +
        "<BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>",
    ),
  },
  {
    op: "PutBucketOwnershipControls",
    bucket: B,
    query: "ownershipControls",
    body: xml("<OwnershipControls><Rule><ObjectOwnership>BucketOwnerPreferred</ObjectOwnership></Rule></OwnershipControls>"),
  },
  {
    op: "PutBucketLifecycleConfiguration",
    bucket: B,
    query: "lifecycle",
    body: xml(
      "<LifecycleConfiguration><Rule><ID>expire-logs</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status>" +
        "<Expiration><Days>30</Days></Expiration></Rule></LifecycleConfiguration>",
    ),
  },
  {
    op: "PutObjectLockConfiguration",
    bucket: LOCK_B,
    query: "object-lock",
    body: xml(
      "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode>" +
        "<Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>",
    ),
  },
  {
    op: "PutObjectRetention",
    bucket: LOCK_B,
    key: "locked.txt",
    query: "retention",
    body: xml(`<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>${inOneYear()}</RetainUntilDate></Retention>`),
  },
  {
    op: "PutBucketReplication",
    bucket: LOCK_B,
    query: "replication",
    body: xml(
      "<ReplicationConfiguration><Role>arn:aws:iam::000000000000:role/sos-replication</Role><Rule><ID>all</ID><Priority>1</Priority>" +
        "<Status>Enabled</Status><Filter><Prefix>logs/</Prefix></Filter><DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication>" +
        "<Destination><Bucket>arn:aws:s3:::mx-repl-dst</Bucket></Destination></Rule></ReplicationConfiguration>",
    ),
  },
  { op: "PutObjectLegalHold", bucket: LOCK_B, key: "locked.txt", query: "legal-hold", body: xml("<LegalHold><Status>ON</Status></LegalHold>") },
];

type Row = {
  op: string;
  auth: Auth;
  body: BodyProtection;
  request: () => RawRequest;
  /** the answer once the signature is removed (default: 403 AccessDenied, the bucket is private) */
  anonymous?: Expected;
  /** mutation label -> S3's answer, where it differs from the generic rule */
  overrides?: Record<string, Expected>;
  /** status of the unmutated request (default 200) */
  okStatus?: number;
};

const at = () => h.url;
const ROWS: Row[] = [
  {
    op: "PutObject (signed payload)",
    auth: "v4-header",
    body: "sha256",
    request: () =>
      signV4(
        ROOT,
        { method: "PUT", origin: at(), path: `/${B}/put.txt`, headers: { "content-type": "text/plain", "x-amz-meta-a": "1" } },
        { kind: "signed", data: Buffer.from("object body") },
      ),
  },
  {
    op: "PutObject (UNSIGNED-PAYLOAD + Content-MD5, as rclone)",
    auth: "v4-header",
    body: "content-md5",
    request: () =>
      signV4(
        ROOT,
        { method: "PUT", origin: at(), path: `/${B}/rclone.txt`, headers: { "content-md5": md5("rclone body"), "x-amz-acl": "private" } },
        { kind: "unsigned", data: Buffer.from("rclone body") },
      ),
  },
  {
    op: "PutObject (aws-chunked, signed chunks)",
    auth: "v4-header",
    body: "chunk-signature",
    request: () =>
      signV4(
        ROOT,
        { method: "PUT", origin: at(), path: `/${B}/chunked.txt` },
        { kind: "chunked-signed", chunks: [Buffer.alloc(1000, 97), Buffer.from("tail")] },
      ),
    // Unsigned, a signed-chunk body cannot be decoded at all.
    anonymous: [400, "InvalidRequest"],
  },
  {
    op: "PutObject (aws-chunked, unsigned payload, crc32 trailer)",
    auth: "v4-header",
    body: "trailer-crc32",
    request: () =>
      signV4(
        ROOT,
        { method: "PUT", origin: at(), path: `/${B}/trailer.txt` },
        { kind: "chunked-unsigned-trailer", chunks: [Buffer.alloc(500, 98), Buffer.from("end")] },
      ),
  },
  {
    op: "CopyObject",
    auth: "v4-header",
    body: null,
    request: () =>
      signV4(
        ROOT,
        { method: "PUT", origin: at(), path: `/${B}/copy.txt`, headers: { "x-amz-copy-source": `/${B}/src.txt`, "x-amz-metadata-directive": "COPY" } },
        { kind: "signed", data: empty },
      ),
  },
  {
    op: "UploadPart",
    auth: "v4-header",
    body: "sha256",
    request: () =>
      signV4(
        ROOT,
        {
          method: "PUT",
          origin: at(),
          path: `/${B}/mpu`,
          query: [
            ["partNumber", "1"],
            ["uploadId", uploadId],
          ],
        },
        { kind: "signed", data: Buffer.from("part body") },
      ),
  },
  {
    op: "UploadPartCopy",
    auth: "v4-header",
    body: null,
    request: () =>
      signV4(
        ROOT,
        {
          method: "PUT",
          origin: at(),
          path: `/${B}/mpu`,
          query: [
            ["partNumber", "2"],
            ["uploadId", uploadId],
          ],
          headers: { "x-amz-copy-source": `/${B}/src.txt` },
        },
        { kind: "signed", data: empty },
      ),
  },
  {
    op: "PutObjectAcl",
    auth: "v4-header",
    body: "sha256",
    request: () =>
      signV4(
        ROOT,
        { method: "PUT", origin: at(), path: `/${B}/src.txt`, query: [["acl", ""]], headers: { "content-md5": md5(ACL) } },
        { kind: "signed", data: ACL },
      ),
  },
  {
    op: "DeleteObjects",
    auth: "v4-header",
    body: "sha256",
    request: () =>
      signV4(
        ROOT,
        { method: "POST", origin: at(), path: `/${B}`, query: [["delete", ""]], headers: { "content-md5": md5(DELETE) } },
        { kind: "signed", data: DELETE },
      ),
    overrides: {
      // S3 answers an anonymous DeleteObjects with 200 and an AccessDenied entry per key.
      "remove header authorization": [200, "AccessDenied"],
      // Without ?delete, POST /bucket is a browser form upload, and this body is not a form.
      "remove query delete": [412, "PreconditionFailed"],
    },
  },
  {
    op: "GetObject (presigned URL)",
    auth: "v4-presigned",
    body: null,
    request: () => presignV4(ROOT, { method: "GET", origin: at(), path: `/${B}/src.txt` }),
  },
  {
    op: "PutObject (presigned URL, Content-MD5 signed)",
    auth: "v4-presigned",
    body: "content-md5",
    request: () =>
      presignV4(
        ROOT,
        { method: "PUT", origin: at(), path: `/${B}/presigned.txt`, headers: { "content-md5": md5("presigned body") } },
        Buffer.from("presigned body"),
      ),
  },
  {
    op: "PutObject (SigV2)",
    auth: "v2-header",
    body: "content-md5",
    request: () =>
      signV2(
        ROOT,
        { method: "PUT", origin: at(), path: `/${B}/v2.txt`, headers: { "content-md5": md5("v2 body"), "content-type": "text/plain", "x-amz-meta-a": "1" } },
        Buffer.from("v2 body"),
      ),
  },
  ...SUBRESOURCE_PUTS.map(
    ({ op, bucket, key, query, body, okStatus }): Row => ({
      op,
      auth: "v4-header",
      body: "sha256",
      request: () =>
        signV4(
          ROOT,
          { method: "PUT", origin: at(), path: key ? `/${bucket}/${key}` : `/${bucket}`, query: [[query, ""]], headers: { "content-md5": md5(body) } },
          { kind: "signed", data: body },
        ),
      okStatus,
      // PUT -> POST on a bucket is a browser form upload, and this body is not a form (as in S3).
      overrides: key ? undefined : { method: [412, "PreconditionFailed"] },
    }),
  ),
];

/** Browser form uploads: the fields (signature fields included) and the file. */
const FORM_ROWS: { op: string; form: () => Form }[] = [
  {
    op: "PostObject (SigV4 policy)",
    form: () => {
      const conditions = [{ bucket: B }, ["eq", "$key", "form.txt"], ["eq", "$Content-Type", "text/plain"], ["eq", "$x-amz-meta-tag", "v"]];
      const fields: [string, string][] = [
        ["key", "form.txt"],
        ["Content-Type", "text/plain"],
        ["x-amz-meta-tag", "v"],
        ...Object.entries(signedPostFields(ROOT, conditions)),
      ];
      return { fields, file: Buffer.from("form file body") };
    },
  },
];

function formRequest(form: Form, bucket = B): RawRequest {
  const { body, contentType } = formBody(form.fields, { filename: "f.txt", data: form.file });
  return {
    method: "POST",
    origin: h.url,
    path: `/${bucket}`,
    query: [],
    body,
    headers: { host: new URL(h.url).host, "content-type": contentType, "content-length": String(body.length) },
  };
}

beforeAll(async () => {
  h = await startWorker({ SOS_REQUIRE_HTTPS_FOR_SSEC: "false" });
  const ok = async (r: RawRequest) => {
    const res = await sendRaw(r);
    if (res.status !== 200) throw new Error(`fixture ${r.method} ${r.path}: ${res.status} ${res.body}`);
    return res.body;
  };
  const put = (path: string, data: Buffer, headers: Record<string, string> = {}) =>
    ok(signV4(ROOT, { method: "PUT", origin: h.url, path, headers }, { kind: "signed", data }));
  await put(`/${B}`, empty);
  await put("/mx-other", empty);
  await put(`/${B}/src.txt`, Buffer.from("source object"));
  await put(`/${B}/del-target`, Buffer.from("to delete"));
  await put(`/${LOCK_B}`, empty, { "x-amz-bucket-object-lock-enabled": "true" });
  await put(`/${LOCK_B}/locked.txt`, Buffer.from("locked object"));
  await put("/mx-repl-dst", empty);
  const versioning = xml("<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>");
  await ok(signV4(ROOT, { method: "PUT", origin: h.url, path: "/mx-repl-dst", query: [["versioning", ""]] }, { kind: "signed", data: versioning }));
  const created = await ok(signV4(ROOT, { method: "POST", origin: h.url, path: `/${B}/mpu`, query: [["uploads", ""]] }, { kind: "signed", data: empty }));
  uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created)![1]!;
});
afterAll(async () => {
  closeRawAgent();
  await h?.dispose();
});

/** Sends the mutations side by side (they are all refused, so order does not matter); returns the mismatches. */
async function refuseAll(mutations: Mutation[]): Promise<string[]> {
  const wrong: string[] = [];
  for (let i = 0; i < mutations.length; i += 16) {
    await Promise.all(
      mutations.slice(i, i + 16).map(async (m) => {
        const res = await sendRaw(m.request);
        const got: Expected = [res.status, codeOf(res.body) ?? ""];
        if (got[0] !== m.want[0] || got[1] !== m.want[1])
          wrong.push(`${m.label}: expected ${m.want.join(" ")}, got ${got.join(" ")} ${res.body.slice(0, 300)}`);
      }),
    );
  }
  return wrong;
}

async function runCorpus(op: string, base: RawRequest, mutations: Mutation[], okStatus: number): Promise<void> {
  const before = await snapshot(h.mf);
  const wrong = await refuseAll(mutations);
  expect(wrong, op).toEqual([]);
  expect(changes(before, await snapshot(h.mf)), `${op}: refused mutations changed the store`).toEqual([]);
  const res = await sendRaw(base);
  expect(res.status, `${op} unmutated: ${res.body}`).toBe(okStatus);
}

describe("every meaning-changing mutation of a signed request is refused, changing nothing", () => {
  for (const row of ROWS) {
    it(row.op, async () => {
      const base = row.request();
      const mutations = mutationsOf(base, row.auth, row.body, row.anonymous ?? [403, "AccessDenied"]).map((m) => ({
        ...m,
        want: row.overrides?.[m.label] ?? m.want,
      }));
      expect(mutations.length).toBeGreaterThan(20);
      await runCorpus(row.op, base, mutations, row.okStatus ?? 200);
    });
  }
  for (const row of FORM_ROWS) {
    it(row.op, async () => {
      const form = row.form();
      await runCorpus(row.op, formRequest(form), formMutationsOf(form, formRequest), 204);
    });
  }
});
