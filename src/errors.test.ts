import { describe, expect, it } from "vitest";
import { ERRORS, S3Error } from "./errors";

// MinIO's TestAPIErrCodeDefinition, for our one table: every code has an HTTP error status and a message.
describe("error table", () => {
  it.each(Object.entries(ERRORS))("%s has a status and a message", (code, [status, message]) => {
    expect(status === 304 || (status >= 400 && status < 600)).toBe(true);
    expect(message.length).toBeGreaterThan(5);
    const e = new S3Error(code as keyof typeof ERRORS);
    expect(e.status).toBe(status);
    expect(e.message).toBe(message);
  });

  it("keeps the statuses AWS documents for the common codes", () => {
    expect(ERRORS.NoSuchKey[0]).toBe(404);
    expect(ERRORS.AccessDenied[0]).toBe(403);
    expect(ERRORS.SignatureDoesNotMatch[0]).toBe(403);
    expect(ERRORS.BucketNotEmpty[0]).toBe(409);
    expect(ERRORS.InvalidRange[0]).toBe(416);
    expect(ERRORS.MissingContentLength[0]).toBe(411);
    expect(ERRORS.NotImplemented[0]).toBe(501);
    expect(ERRORS.PreconditionFailed[0]).toBe(412);
  });
});
