import { S3Error } from "../../src/errors";

/** What `fn` throws, as "Code: message" for an S3Error ("no error" when it returns); other errors propagate. */
export function s3ErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof S3Error) return `${e.code}: ${e.message}`;
    throw e;
  }
  return "no error";
}
