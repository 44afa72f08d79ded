/**
 * Browser form uploads (POST Object) built by hand, as a presigned-POST helper would: a SigV4
 * policy signature over the base64 policy, and a multipart/form-data body.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-post-example.html
 */
import { createHmac, randomBytes } from "node:crypto";

export type Creds = { accessKeyId: string; secretAccessKey: string };

const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest();

/** The signature fields of a SigV4 policy allowing `conditions` (plus the credential conditions). */
export function signedPostFields(
  creds: Creds,
  conditions: unknown[],
  opts: { expiration?: string; date?: Date; rawPolicy?: string } = {},
): Record<string, string> {
  const date = opts.date ?? new Date();
  const amzDate = date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  const day = amzDate.slice(0, 8);
  const credential = `${creds.accessKeyId}/${day}/us-east-1/s3/aws4_request`;
  const policy = Buffer.from(
    opts.rawPolicy ??
      JSON.stringify({
        expiration: opts.expiration ?? new Date(Date.now() + 3600_000).toISOString(),
        conditions: [...conditions, { "x-amz-algorithm": "AWS4-HMAC-SHA256" }, { "x-amz-credential": credential }, { "x-amz-date": amzDate }],
      }),
  ).toString("base64");
  let k = hmac("AWS4" + creds.secretAccessKey, day);
  for (const part of ["us-east-1", "s3", "aws4_request"]) k = hmac(k, part);
  return {
    "x-amz-algorithm": "AWS4-HMAC-SHA256",
    "x-amz-credential": credential,
    "x-amz-date": amzDate,
    policy,
    "x-amz-signature": createHmac("sha256", k).update(policy).digest("hex"),
  };
}

/** A multipart/form-data body: fields in order, then (optionally) the file, then `after` fields. */
export function formBody(fields: [string, string][], file?: { name?: string; filename: string; data: Buffer }, after: [string, string][] = []) {
  const boundary = "----sosFormBoundary" + randomBytes(8).toString("hex");
  const part = (name: string, value: string) => Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  const chunks: Buffer[] = fields.map(([k, v]) => part(k, v));
  if (file) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.name ?? "file"}"; filename="${file.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      file.data,
      Buffer.from("\r\n"),
    );
  }
  chunks.push(...after.map(([k, v]) => part(k, v)), Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}
