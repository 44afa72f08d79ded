/**
 * The portal's S3 client: every request signed in the browser with SigV4 (aws4fetch) and sent to
 * this origin, path-style. The secret key never leaves this page; the server sees only signatures.
 * Error answers become S3Failure (code, words, request id).
 */
import { AwsClient } from "aws4fetch";
import type { CorsRule } from "./cors";
import {
  aclXml,
  corsXml,
  createBucketXml,
  deleteObjectsXml,
  taggingXml,
  versioningXml,
  type Acl,
  type Grant,
  type Grantee,
  type Permission,
  type Tag,
} from "./xml";

export type Credentials = { accessKeyId: string; secretAccessKey: string };
export const REGION = "us-east-1";

/** A failed S3 (or admin API) call, with the code the server answered. */
export class S3Failure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly requestId?: string,
  ) {
    super(message);
  }
}

/** What an error code means, in words a user acts on; the server's own message otherwise. */
const WORDS: Record<string, string> = {
  AccessDenied: "This key is not allowed to do that.",
  InvalidAccessKeyId: "No such access key: check the access key id (or it was deleted or disabled).",
  SignatureDoesNotMatch: "The secret key does not match this access key.",
  NoSuchBucket: "That bucket does not exist.",
  NoSuchKey: "That object does not exist (any more).",
  BucketNotEmpty: "The bucket is not empty: delete its objects (and, when versioning was on, their old versions) first.",
  BucketAlreadyExists: "That bucket name is taken by another user.",
  BucketAlreadyOwnedByYou: "You already have a bucket with that name.",
  TooManyBuckets: "You have reached your bucket limit.",
  InvalidBucketName: "That is not a valid bucket name.",
  MalformedXML: "The document is not valid for S3.",
  MetadataTooLarge: "The metadata is larger than the 2 KiB S3 allows.",
  EntityTooSmall: "A part is smaller than the 5 MiB minimum.",
  NoSuchUpload: "The multipart upload no longer exists (it was completed or aborted): start the upload again.",
  RequestTimeTooSkewed: "This computer's clock is too far off the server's: fix the clock and sign in again.",
  NoSuchCORSConfiguration: "The bucket has no CORS configuration.",
  InvalidTag: "A tag is not valid.",
  NetworkError: "The server could not be reached.",
};

export function describeFailure(e: unknown): { words: string; code?: string; requestId?: string } {
  if (e instanceof S3Failure)
    return {
      words: WORDS[e.code] ? `${WORDS[e.code]}${e.message && e.message !== WORDS[e.code] ? ` (${e.message})` : ""}` : e.message || e.code,
      code: e.code,
      requestId: e.requestId,
    };
  return { words: e instanceof Error ? e.message : String(e) };
}

const text = (el: Element | Document | null | undefined, tag: string) => el?.getElementsByTagName(tag)[0]?.textContent ?? "";
const all = (el: Element | Document, tag: string) => [...el.getElementsByTagName(tag)];
/** Direct children named `tag` (getElementsByTagName also finds grandchildren). */
const children = (el: Element, tag: string) => [...el.children].filter((c) => c.localName === tag);

export function parseXml(body: string): Document {
  const d = new DOMParser().parseFromString(body, "application/xml");
  if (d.getElementsByTagName("parsererror").length) throw new S3Failure("MalformedXML", "The text is not well-formed XML.", 0);
  return d;
}

/** The S3 error of a failed response (XML body, or just the status for HEAD). */
export async function failureOf(res: Response): Promise<S3Failure> {
  const body = await res.text().catch(() => "");
  const requestId = res.headers.get("x-amz-request-id") ?? undefined;
  if (body.trim().startsWith("<")) {
    try {
      const d = parseXml(body);
      return new S3Failure(text(d, "Code") || `HTTP${res.status}`, text(d, "Message"), res.status, requestId);
    } catch {
      /* not XML after all */
    }
  }
  if (body.trim().startsWith("{")) {
    try {
      const j = JSON.parse(body);
      return new S3Failure(j.code ?? `HTTP${res.status}`, j.message ?? "", res.status, requestId);
    } catch {
      /* fall through */
    }
  }
  const byStatus: Record<number, string> = { 403: "AccessDenied", 404: "NotFound", 409: "Conflict", 412: "PreconditionFailed" };
  return new S3Failure(byStatus[res.status] ?? `HTTP${res.status}`, `HTTP ${res.status}`, res.status, requestId);
}

export type Request = {
  bucket?: string;
  key?: string;
  query?: Record<string, string | undefined>;
  headers?: Record<string, string>;
  body?: BodyInit;
};

export type BucketInfo = { name: string; created: string };
export type ListedObject = { key: string; size: number; lastModified: string; etag: string };
export type Listing = { folders: string[]; objects: ListedObject[]; nextToken?: string; truncated: boolean };
export type Version = { key: string; versionId: string; isLatest: boolean; deleteMarker: boolean; size: number; lastModified: string; etag: string };
export type ObjectHead = { size: number; etag: string; lastModified: string; versionId?: string; system: Record<string, string>; meta: Tag[] };

/** Path-style URL of bucket/key on this origin, each key segment percent-encoded. */
export function objectUrl(endpoint: string, bucket?: string, key?: string, query: Record<string, string | undefined> = {}): string {
  let path = "/";
  if (bucket) path += encodeURIComponent(bucket);
  if (bucket && key !== undefined) path += "/" + key.split("/").map(encodeURIComponent).join("/");
  const q = Object.entries(query)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => (v === "" ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v!)}`))
    .join("&");
  return endpoint + path + (q ? `?${q}` : "");
}

/** The region a wrong-region answer names: x-amz-bucket-region, or the <Region> of AuthorizationHeaderMalformed. */
async function regionHint(res: Response): Promise<string | null> {
  const header = res.headers.get("x-amz-bucket-region");
  if (header) return header;
  const body = await res.clone().text();
  return /<Code>AuthorizationHeaderMalformed<\/Code>/.test(body) ? (/<Region>([^<]+)<\/Region>/.exec(body)?.[1] ?? null) : null;
}

export class S3 {
  /** Signing region per bucket ("" = requests naming none), learnt from ListBuckets and from region hints. */
  private readonly regions = new Map<string, string>();
  private readonly signers = new Map<string, AwsClient>();
  constructor(
    readonly creds: Credentials,
    readonly endpoint: string = location.origin,
  ) {}

  /** The signer for `bucket`'s region: a zone endpoint expects it (docs/zones.md); the generic endpoint takes any. */
  private signer(bucket?: string): AwsClient {
    const region = this.regions.get(bucket ?? "") ?? REGION;
    let signer = this.signers.get(region);
    if (!signer) this.signers.set(region, (signer = new AwsClient({ ...this.creds, service: "s3", region, retries: 0 })));
    return signer;
  }

  url(r: Request): string {
    return objectUrl(this.endpoint, r.bucket, r.key, r.query);
  }

  /** A signed Request (for fetch, or for XHR when upload progress matters). */
  sign(method: string, r: Request): Promise<globalThis.Request> {
    return this.signer(r.bucket).sign(this.url(r), { method, headers: r.headers, body: r.body });
  }

  /** Sends once more, signed for the region a zone endpoint names (301 or a wrong-region 400), as the SDKs do. */
  async send(method: string, r: Request): Promise<Response> {
    let res = await this.fetchSigned(method, r);
    const region = res.status === 301 || res.status === 400 ? await regionHint(res) : null;
    if (region && region !== this.regions.get(r.bucket ?? "")) {
      this.regions.set(r.bucket ?? "", region);
      res = await this.fetchSigned(method, r);
    }
    if (!res.ok) throw await failureOf(res);
    return res;
  }

  private async fetchSigned(method: string, r: Request): Promise<Response> {
    try {
      return await fetch(await this.sign(method, r));
    } catch (e) {
      throw new S3Failure("NetworkError", (e as Error).message, 0);
    }
  }

  async xml(method: string, r: Request): Promise<Document> {
    return parseXml(await (await this.send(method, r)).text());
  }

  /** A presigned GET URL valid for `seconds` (S3 allows up to 7 days). */
  async presign(bucket: string, key: string, seconds: number, query: Record<string, string> = {}): Promise<string> {
    const url = this.url({ bucket, key, query: { ...query, "X-Amz-Expires": String(seconds) } });
    return (await this.signer(bucket).sign(url, { method: "GET", aws: { signQuery: true } })).url;
  }

  // ---------------------------------------------------------------- buckets
  async listBuckets(): Promise<{ buckets: BucketInfo[]; owner: { id: string; displayName: string } }> {
    const d = await this.xml("GET", {});
    for (const b of all(d, "Bucket")) if (text(b, "BucketRegion")) this.regions.set(text(b, "Name"), text(b, "BucketRegion"));
    return {
      buckets: all(d, "Bucket").map((b) => ({ name: text(b, "Name"), created: text(b, "CreationDate") })),
      owner: { id: text(d.getElementsByTagName("Owner")[0], "ID"), displayName: text(d.getElementsByTagName("Owner")[0], "DisplayName") },
    };
  }
  async headBucket(bucket: string): Promise<void> {
    await this.send("HEAD", { bucket });
  }
  async location(bucket: string): Promise<string> {
    return text(await this.xml("GET", { bucket, query: { location: "" } }), "LocationConstraint");
  }
  async versioning(bucket: string): Promise<"Enabled" | "Suspended" | ""> {
    return text(await this.xml("GET", { bucket, query: { versioning: "" } }), "Status") as "Enabled" | "Suspended" | "";
  }
  async setVersioning(bucket: string, status: "Enabled" | "Suspended"): Promise<void> {
    await this.send("PUT", { bucket, query: { versioning: "" }, body: versioningXml(status) });
  }
  async createBucket(bucket: string, zone?: string, cannedAcl?: string): Promise<void> {
    await this.send("PUT", { bucket, body: createBucketXml(zone), headers: cannedAcl ? { "x-amz-acl": cannedAcl } : {} });
  }
  async deleteBucket(bucket: string): Promise<void> {
    await this.send("DELETE", { bucket });
  }

  // ---------------------------------------------------------------- listing
  async list(bucket: string, o: { prefix?: string; delimiter?: string; token?: string; maxKeys?: number }): Promise<Listing> {
    const d = await this.xml("GET", {
      bucket,
      query: {
        "list-type": "2",
        prefix: o.prefix || undefined,
        delimiter: o.delimiter,
        "continuation-token": o.token,
        "max-keys": o.maxKeys ? String(o.maxKeys) : undefined,
      },
    });
    const root = d.documentElement;
    return {
      folders: children(root, "CommonPrefixes").map((p) => text(p, "Prefix")),
      objects: children(root, "Contents").map((c) => ({
        key: text(c, "Key"),
        size: Number(text(c, "Size")),
        lastModified: text(c, "LastModified"),
        etag: text(c, "ETag"),
      })),
      nextToken: text(root, "NextContinuationToken") || undefined,
      truncated: text(root, "IsTruncated") === "true",
    };
  }
  /** Every key under a prefix, page by page (for deleting a whole prefix). */
  async *allKeys(bucket: string, prefix: string): AsyncGenerator<string[]> {
    let token: string | undefined;
    do {
      const page = await this.list(bucket, { prefix, token, maxKeys: 1000 });
      yield page.objects.map((o) => o.key);
      token = page.truncated ? page.nextToken : undefined;
    } while (token);
  }
  async versions(bucket: string, key: string): Promise<Version[]> {
    const out: Version[] = [];
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    for (;;) {
      const d = await this.xml("GET", { bucket, query: { versions: "", prefix: key, "key-marker": keyMarker, "version-id-marker": versionMarker } });
      const root = d.documentElement;
      for (const v of [...root.children]) {
        if (v.localName !== "Version" && v.localName !== "DeleteMarker") continue;
        if (text(v, "Key") !== key) continue;
        out.push({
          key,
          versionId: text(v, "VersionId"),
          isLatest: text(v, "IsLatest") === "true",
          deleteMarker: v.localName === "DeleteMarker",
          size: Number(text(v, "Size") || 0),
          lastModified: text(v, "LastModified"),
          etag: text(v, "ETag"),
        });
      }
      if (text(root, "IsTruncated") !== "true") return out;
      keyMarker = text(root, "NextKeyMarker");
      versionMarker = text(root, "NextVersionIdMarker");
      if (keyMarker !== key) return out;
    }
  }

  // ---------------------------------------------------------------- objects
  async head(bucket: string, key: string, versionId?: string): Promise<ObjectHead> {
    const res = await this.send("HEAD", { bucket, key, query: { versionId } });
    const system: Record<string, string> = {};
    for (const h of ["Content-Type", "Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires"]) {
      const v = res.headers.get(h);
      if (v !== null) system[h] = v;
    }
    const meta: Tag[] = [];
    res.headers.forEach((value, name) => {
      if (name.startsWith("x-amz-meta-")) meta.push({ key: name.slice("x-amz-meta-".length), value });
    });
    return {
      size: Number(res.headers.get("content-length") ?? 0),
      etag: res.headers.get("etag") ?? "",
      lastModified: res.headers.get("last-modified") ?? "",
      versionId: res.headers.get("x-amz-version-id") ?? undefined,
      system,
      meta,
    };
  }
  async deleteObject(bucket: string, key: string, versionId?: string): Promise<void> {
    await this.send("DELETE", { bucket, key, query: { versionId } });
  }
  /** DeleteObjects in batches of 1000; returns the keys S3 refused, with the reason. */
  async deleteMany(bucket: string, keys: { key: string; versionId?: string }[]): Promise<{ key: string; code: string; message: string }[]> {
    const errors: { key: string; code: string; message: string }[] = [];
    for (let i = 0; i < keys.length; i += 1000) {
      const body = deleteObjectsXml(keys.slice(i, i + 1000));
      const d = await this.xml("POST", { bucket, query: { delete: "" }, body, headers: await integrity(body) });
      for (const e of all(d, "Error")) errors.push({ key: text(e, "Key"), code: text(e, "Code"), message: text(e, "Message") });
    }
    return errors;
  }
  /**
   * Replaces an object's metadata in place: CopyObject onto itself with REPLACE keeps the bytes and,
   * by default (x-amz-tagging-directive COPY), the tags, but gives the new copy a private ACL; so
   * the ACL read first is put back afterwards.
   */
  async replaceMetadata(bucket: string, key: string, system: Record<string, string>, meta: Tag[]): Promise<void> {
    const acl = await this.getAcl(bucket, key);
    const headers: Record<string, string> = {
      "x-amz-copy-source": `/${encodeURIComponent(bucket)}/${key.split("/").map(encodeURIComponent).join("/")}`,
      "x-amz-metadata-directive": "REPLACE",
      "x-amz-tagging-directive": "COPY",
    };
    for (const [h, v] of Object.entries(system)) if (v) headers[h.toLowerCase()] = v;
    for (const m of meta) headers[`x-amz-meta-${m.key.toLowerCase()}`] = m.value;
    await this.xml("PUT", { bucket, key, headers });
    await this.putAcl(acl, bucket, key);
  }
  /** Makes an older version the current one (a copy of it on top, as the S3 console does). */
  async restoreVersion(bucket: string, key: string, versionId: string): Promise<void> {
    const source = `/${encodeURIComponent(bucket)}/${key.split("/").map(encodeURIComponent).join("/")}?versionId=${encodeURIComponent(versionId)}`;
    await this.xml("PUT", { bucket, key, headers: { "x-amz-copy-source": source } });
  }

  // ---------------------------------------------------------------- ACL, tags, CORS
  async getAcl(bucket: string, key?: string): Promise<Acl> {
    const d = await this.xml("GET", { bucket, key, query: { acl: "" } });
    const owner = d.getElementsByTagName("Owner")[0];
    const grants: Grant[] = all(d, "Grant").map((g) => {
      const ge = g.getElementsByTagName("Grantee")[0];
      const type = ge.getAttributeNS("http://www.w3.org/2001/XMLSchema-instance", "type") || ge.getAttribute("xsi:type") || "";
      let grantee: Grantee;
      if (type === "Group") grantee = { type, uri: text(ge, "URI") };
      else if (type === "AmazonCustomerByEmail") grantee = { type, email: text(ge, "EmailAddress") };
      else grantee = { type: "CanonicalUser", id: text(ge, "ID"), displayName: text(ge, "DisplayName") || undefined };
      return { grantee, permission: text(g, "Permission") as Permission };
    });
    return { owner: { id: text(owner, "ID"), displayName: text(owner, "DisplayName") || undefined }, grants };
  }
  async putAcl(acl: Acl, bucket: string, key?: string): Promise<void> {
    await this.send("PUT", { bucket, key, query: { acl: "" }, body: aclXml(acl) });
  }
  async putCannedAcl(canned: string, bucket: string, key?: string): Promise<void> {
    await this.send("PUT", { bucket, key, query: { acl: "" }, headers: { "x-amz-acl": canned } });
  }
  async getTags(bucket: string, key?: string): Promise<Tag[]> {
    try {
      const d = await this.xml("GET", { bucket, key, query: { tagging: "" } });
      return all(d, "Tag").map((t) => ({ key: text(t, "Key"), value: text(t, "Value") }));
    } catch (e) {
      if (e instanceof S3Failure && e.code === "NoSuchTagSet") return [];
      throw e;
    }
  }
  async putTags(tags: Tag[], bucket: string, key?: string): Promise<void> {
    if (tags.length === 0 && !key) await this.send("DELETE", { bucket, query: { tagging: "" } });
    else await this.send("PUT", { bucket, key, query: { tagging: "" }, body: taggingXml(tags) });
  }
  async getCorsXml(bucket: string): Promise<string | null> {
    try {
      return await (await this.send("GET", { bucket, query: { cors: "" } })).text();
    } catch (e) {
      if (e instanceof S3Failure && e.code === "NoSuchCORSConfiguration") return null;
      throw e;
    }
  }
  async putCorsXml(bucket: string, xml: string): Promise<void> {
    await this.send("PUT", { bucket, query: { cors: "" }, body: xml, headers: await integrity(xml) });
  }
  async putCors(bucket: string, rules: CorsRule[]): Promise<void> {
    await this.putCorsXml(bucket, corsXml(rules));
  }
  async deleteCors(bucket: string): Promise<void> {
    await this.send("DELETE", { bucket, query: { cors: "" } });
  }
}

/** CORS XML (as GetBucketCors returns it, or as typed) to editor rules. */
export function parseCors(xml: string): CorsRule[] {
  const d = parseXml(xml);
  if (d.documentElement.localName !== "CORSConfiguration") throw new S3Failure("MalformedXML", "The root element must be <CORSConfiguration>.", 0);
  return all(d, "CORSRule").map((r) => {
    const list = (tag: string) => children(r, tag).map((e) => (e.textContent ?? "").trim());
    const maxAge = children(r, "MaxAgeSeconds")[0]?.textContent;
    return {
      id: children(r, "ID")[0]?.textContent || undefined,
      allowedOrigins: list("AllowedOrigin"),
      allowedMethods: list("AllowedMethod"),
      allowedHeaders: list("AllowedHeader"),
      exposeHeaders: list("ExposeHeader"),
      maxAgeSeconds: maxAge !== undefined && maxAge !== null && maxAge.trim() !== "" ? Number(maxAge) : undefined,
    };
  });
}

/** DeleteObjects and PutBucketCors require an integrity header; WebCrypto has SHA-256 (not MD5). */
async function integrity(body: string): Promise<Record<string, string>> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body)));
  return { "x-amz-checksum-sha256": btoa(String.fromCharCode(...digest)), "content-type": "application/xml" };
}
