import type { S3Client } from "@aws-sdk/client-s3";

/**
 * workerd never answers `Expect: 100-continue`, so the AWS SDK (which asks for it on bodies over
 * 2 MB) waits its 6 s fallback before sending each big body. The bytes and answers are the same
 * either way; tests that move many MiB skip the wait.
 */
export function withoutExpectContinue(client: S3Client): S3Client {
  client.middlewareStack.remove("addExpectContinueMiddleware");
  return client;
}
