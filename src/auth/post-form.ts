/**
 * Authentication of a browser form upload (POST Object): the signature lives in the form, not in
 * an Authorization header. It signs the base64 policy document:
 *   SigV4: hex(HMAC-SHA256(signing key of x-amz-credential's scope, policy))
 *   SigV2: base64(HMAC-SHA1(secret, policy))
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-post-example.html
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-authentication-HTTPPOST.html
 * The form fields before the file are read here (logic/form-data.ts); the file stays a stream
 * and becomes the request's verified body. A form without signature fields is anonymous.
 * The policy's conditions are checked by the handler (ops/post-object.ts), which knows the bucket.
 */
import { S3Error } from "../errors";
import { formBoundary, readForm } from "../logic/form-data";
import type { AuthOptions, AuthResult } from "./index";
import { toBase64, toHex } from "../logic/encoding";
import { hmac, hmacKey, signingKey, timingSafeEqual } from "./crypto";
import { ALGORITHM, checkScope, parseAmzDate, parseCredential, type SigningRegion } from "./sigv4-parse";

/** S3 refuses forms whose fields before the file exceed this. */
export const MAX_PRE_FILE_BYTES = 20 * 1024;

export type PostForm = {
  /** fields before the file, by lowercased name (the last one wins when repeated) */
  fields: Map<string, string>;
  /** the file part, whose bytes are the request body; null when the form has none */
  file: { filename: string; contentType: string | null } | null;
};

export type PostAuthResult = AuthResult & { form: PostForm };

function missingField(name: string): S3Error {
  return new S3Error("postFieldMissing", { name });
}

export async function authenticatePostForm(request: Request, opts: AuthOptions): Promise<PostAuthResult> {
  const boundary = formBoundary(request.headers.get("content-type"));
  if (boundary === null || request.body === null) {
    throw new S3Error("PreconditionFailed", undefined, { Condition: "Bucket POST must be of the enclosure-type multipart/form-data" });
  }
  const rawLength = request.headers.get("content-length");
  if (rawLength === null || !/^\d+$/.test(rawLength.trim())) throw new S3Error("MissingContentLength");
  const parsed = await readForm(request.body, boundary, Number(rawLength.trim()), { maxPreFileBytes: MAX_PRE_FILE_BYTES });
  const fields = new Map(parsed.fields.map(([k, v]) => [k.toLowerCase(), v]));
  const form: PostForm = { fields, file: parsed.file ? { filename: parsed.file.filename, contentType: parsed.file.contentType } : null };
  const body = parsed.file ? { stream: parsed.file.stream, length: parsed.file.length } : null;

  let accessKeyId: string | null = null;
  let signatureVersion: 2 | 4 | null = null;
  let signingRegion: SigningRegion | null = null;
  if (fields.has("x-amz-signature") || fields.has("x-amz-credential")) {
    ({ accessKeyId, signingRegion } = await verifyV4(fields, opts));
    signatureVersion = 4;
  } else if (fields.has("signature") || fields.has("awsaccesskeyid")) {
    accessKeyId = await verifyV2(fields, opts);
    signatureVersion = 2;
  } else if (fields.has("policy")) {
    throw missingField("x-amz-signature");
  }
  return { accessKeyId, signatureVersion, signingRegion, body, form };
}

async function secretFor(accessKeyId: string, opts: AuthOptions): Promise<string> {
  const secret = await opts.lookupSecret(accessKeyId);
  if (secret === null) throw new S3Error("InvalidAccessKeyId", undefined, { AWSAccessKeyId: accessKeyId });
  return secret;
}

function signatureMismatch(accessKeyId: string, policy: string, provided: string): S3Error {
  return new S3Error("SignatureDoesNotMatch", undefined, { AWSAccessKeyId: accessKeyId, StringToSign: policy, SignatureProvided: provided });
}

async function verifyV4(fields: Map<string, string>, opts: AuthOptions): Promise<{ accessKeyId: string; signingRegion: SigningRegion }> {
  for (const name of ["x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature", "policy"]) if (!fields.get(name)) throw missingField(name);
  const algorithm = fields.get("x-amz-algorithm")!;
  if (algorithm !== ALGORITHM) {
    throw new S3Error("postAlgorithm", undefined, { ArgumentName: "x-amz-algorithm", ArgumentValue: algorithm });
  }
  const amzDate = fields.get("x-amz-date")!;
  if (!parseAmzDate(amzDate)) {
    throw new S3Error("postDate", undefined, { ArgumentName: "x-amz-date", ArgumentValue: amzDate });
  }
  const credential = parseCredential(fields.get("x-amz-credential")!, "AuthorizationQueryParametersError");
  checkScope(credential, opts.allowedRegions, amzDate, "AuthorizationQueryParametersError");
  const policy = fields.get("policy")!;
  const provided = fields.get("x-amz-signature")!;
  const key = await signingKey(await secretFor(credential.accessKeyId, opts), credential.date, credential.region, credential.service);
  if (!timingSafeEqual(toHex(await hmac(key, policy)), provided.toLowerCase())) throw signatureMismatch(credential.accessKeyId, policy, provided);
  return { accessKeyId: credential.accessKeyId, signingRegion: { region: credential.region, code: "AuthorizationQueryParametersError" } };
}

async function verifyV2(fields: Map<string, string>, opts: AuthOptions): Promise<string> {
  for (const name of ["AWSAccessKeyId", "signature", "policy"]) if (!fields.get(name.toLowerCase())) throw missingField(name);
  const accessKeyId = fields.get("awsaccesskeyid")!;
  const policy = fields.get("policy")!;
  const provided = fields.get("signature")!;
  const key = await hmacKey(await secretFor(accessKeyId, opts), "SHA-1");
  const expected = toBase64(await hmac(key, policy));
  if (!timingSafeEqual(expected, provided)) throw signatureMismatch(accessKeyId, policy, provided);
  return accessKeyId;
}
