/**
 * POST Object: a browser form upload. The pipeline authenticated the form (auth/post-form.ts);
 * here the policy is checked against the bucket, the key and the file size, and the upload then
 * runs as a PutObject whose headers are the form's fields, so metadata, storage class, ACL and
 * SSE-C follow exactly the PutObject rules.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingHTTPPOST.html
 */
import { requireObjectWrite } from "../authz";
import type { BucketContext, Handler } from "../context";
import { S3Error } from "../errors";
import { USER_METADATA_PREFIX } from "../logic/metadata";
import { encodeMetadataValue } from "../logic/rfc2047";
import { checkPostPolicy, decodePostPolicy } from "../logic/post-policy";
import { postResponseDocument } from "../xml/post";
import { parseTagging } from "../xml/tagging";
import { validateTagSet } from "../logic/tags";
import { writeObject, writtenObjectHeaders } from "./object-write";
import { quoteEtag, xmlResponse } from "./respond";

/** SOS accepts browser POST uploads up to 16 MB; larger files go through multipart. */
export const MAX_POST_OBJECT_BYTES = 16 * 1024 * 1024;

/** Form fields that PutObject reads as headers (field name -> header name). */
const FIELD_HEADERS: Record<string, string> = {
  "content-type": "content-type",
  "cache-control": "cache-control",
  "content-disposition": "content-disposition",
  "content-encoding": "content-encoding",
  "content-language": "content-language",
  expires: "expires",
  acl: "x-amz-acl",
  "x-amz-storage-class": "x-amz-storage-class",
  "x-amz-server-side-encryption": "x-amz-server-side-encryption",
  "x-amz-server-side-encryption-customer-algorithm": "x-amz-server-side-encryption-customer-algorithm",
  "x-amz-server-side-encryption-customer-key": "x-amz-server-side-encryption-customer-key",
  "x-amz-server-side-encryption-customer-key-md5": "x-amz-server-side-encryption-customer-key-md5",
};

/** x-amz-checksum-<algorithm> and x-amz-checksum-algorithm: verified over the file as on PutObject (BadDigest on a mismatch). */
const CHECKSUM_PREFIX = "x-amz-checksum-";

/**
 * The form's `tagging` field is a `<Tagging>` document (not PutObject's URL-encoded header): its
 * tags, checked by the same rules, become the write's x-amz-tagging.
 */
function taggingFieldAsHeader(xml: string): string {
  const tags = validateTagSet(parseTagging(xml), "object");
  return tags.map((t) => `${encodeURIComponent(t.key)}=${encodeURIComponent(t.value)}`).join("&");
}

/** Header values are byte strings: UTF-8 field values travel as their bytes, like real headers. */
const byteString = (s: string) => String.fromCharCode(...new TextEncoder().encode(s));

/**
 * The PutObject headers the form's fields stand for. A header value cannot hold CR, LF or NUL
 * (it would end the header): such a field is refused like any malformed field, and its value,
 * which may be an SSE-C key, is not echoed.
 */
function headersOf(fields: Map<string, string>): Headers {
  const h = new Headers();
  for (const [name, value] of fields) {
    if (name === "tagging") {
      h.set("x-amz-tagging", taggingFieldAsHeader(value));
      continue;
    }
    const header = FIELD_HEADERS[name] ?? (name.startsWith(USER_METADATA_PREFIX) || name.startsWith(CHECKSUM_PREFIX) ? name : null);
    if (header === null) continue;
    if (/[\r\n\0]/.test(value)) {
      throw new S3Error(
        "postFieldControlCharacters",
        { name, header },
        {
          ArgumentName: name,
        },
      );
    }
    // A form field is UTF-8 text, not header bytes: non-ASCII metadata goes in as encoded-words, stored decoded.
    h.set(header, header.startsWith(USER_METADATA_PREFIX) ? encodeMetadataValue(value) : byteString(value));
  }
  return h;
}

function missingKey(): S3Error {
  return new S3Error("postFieldMissing", { name: "key" });
}

/** An absolute http(s) URL to send the browser to, or null (S3 then falls back to the status). */
function redirectTarget(raw: string | undefined): URL | null {
  if (!raw) return null;
  try {
    const u = new URL(raw);
    return u.protocol === "http:" || u.protocol === "https:" ? u : null;
  } catch {
    return null;
  }
}

/** POST Object (browser form upload): https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html */
export const postObject: Handler<BucketContext> = async (ctx) => {
  const form = ctx.postForm;
  if (!form) throw new S3Error("MalformedPOSTRequest");
  const rawKey = form.fields.get("key");
  if (rawKey === undefined) throw missingKey();
  if (!form.file || !ctx.body) {
    throw new S3Error("postFileCount", undefined, { ArgumentName: "file", ArgumentValue: 0 });
  }
  const key = rawKey.split("${filename}").join(form.file.filename);
  requireObjectWrite(ctx, ctx.bucket, key);
  const size = ctx.body.length ?? 0;
  if (size > MAX_POST_OBJECT_BYTES) throw new S3Error("entityTooLarge", { size, max: MAX_POST_OBJECT_BYTES, limit: "the largest browser form (POST) upload" });
  const policy = form.fields.get("policy");
  if (policy !== undefined) {
    checkPostPolicy(decodePostPolicy(policy), { now: ctx.now, bucket: ctx.bucketName, key, fields: form.fields, fileLength: size });
  }

  const written = await writeObject({ ...ctx, key }, headersOf(form.fields));
  const etag = quoteEtag(written.etag);
  const location = ctx.endpoint.virtualHost
    ? `${ctx.url.origin}/${key.split("/").map(encodeURIComponent).join("/")}`
    : `${ctx.url.origin}/${encodeURIComponent(ctx.bucketName)}/${key.split("/").map(encodeURIComponent).join("/")}`;
  const headers = writtenObjectHeaders(written);
  headers.set("location", location);

  const redirect = redirectTarget(form.fields.get("success_action_redirect") ?? form.fields.get("redirect"));
  if (redirect) {
    for (const [k, v] of [
      ["bucket", ctx.bucketName],
      ["key", key],
      ["etag", etag],
    ])
      redirect.searchParams.append(k!, v!);
    headers.set("location", redirect.toString());
    return new Response(null, { status: 303, headers });
  }
  const status = form.fields.get("success_action_status");
  if (status === "201") return xmlResponse(postResponseDocument({ location, bucket: ctx.bucketName, key, etag }), { status: 201, headers });
  return new Response(null, { status: status === "200" ? 200 : 204, headers });
};
