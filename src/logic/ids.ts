/** Identifiers minted by the service. */
import { randomHex } from "./secrets";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** An opaque, URL-safe S3 version id (32 chars). */
export function newVersionId(): string {
  return [...crypto.getRandomValues(new Uint8Array(32))].map((b) => ALPHABET[b % 62]).join("");
}

/** Primary key of an object-version row. */
export const newRowId = () => randomHex(12);

/** Multipart upload ids sort by initiation time, so listings order uploads of a key as S3 does. */
export function newUploadId(now: number): string {
  return now.toString(36).padStart(9, "0") + newVersionId();
}
