/**
 * What x-amz-content-sha256 announces about the body.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-auth-using-authorization-header.html
 * (the table of x-amz-content-sha256 values).
 */
import { S3Error } from "../errors";

export type StreamingMode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" | "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" | "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

export type PayloadHash =
  | { kind: "hex"; hex: string } // the literal sha256 of the body, lowercased
  | { kind: "unsigned" } // UNSIGNED-PAYLOAD
  | { kind: "streaming"; mode: StreamingMode }; // aws-chunked body

const STREAMING = new Set<string>(["STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"]);

export function parsePayloadHash(value: string): PayloadHash {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return { kind: "hex", hex: value.toLowerCase() };
  if (value === "UNSIGNED-PAYLOAD") return { kind: "unsigned" };
  if (STREAMING.has(value)) return { kind: "streaming", mode: value as StreamingMode };
  if (value.startsWith("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD")) {
    throw new S3Error("sigV4aUnsupported", undefined, { Header: "x-amz-content-sha256" });
  }
  throw new S3Error("contentSha256Invalid", undefined, { ArgumentName: "x-amz-content-sha256", ArgumentValue: value });
}
