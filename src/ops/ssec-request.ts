/**
 * SSE-C as the operations use it: the request's key (logic/ssec.ts), read under the deployment's
 * HTTPS rule (SOS_REQUIRE_HTTPS_FOR_SSEC), and the response headers that confirm it.
 */
import type { RequestContext } from "../context";
import { checkSingleEncryption, parseSsec, ssecResponseHeaders, type SsecHeaders, type SsecKey } from "../logic/ssec";

export function requestSsec(
  ctx: Pick<RequestContext, "request" | "url" | "deps">,
  which: SsecHeaders = "target",
  headers = ctx.request.headers,
): Promise<SsecKey | null> {
  return parseSsec(headers, which, {
    secure: ctx.url.protocol === "https:",
    requireSecure: ctx.deps.config.requireHttpsForSsec,
  });
}

/** Adds x-amz-server-side-encryption-customer-algorithm / -key-MD5 when the object is under SSE-C. */
export function setSsecHeaders(headers: Headers, keyMd5: string | null): Headers {
  for (const [k, v] of Object.entries(ssecResponseHeaders(keyMd5))) headers.set(k, v);
  return headers;
}

/** The key an object or upload is written with (x-amz-server-side-encryption-customer-*, in `headers`). */
export async function writeSsec(ctx: Pick<RequestContext, "request" | "url" | "deps">, headers = ctx.request.headers): Promise<SsecKey | null> {
  const key = await requestSsec(ctx, "target", headers);
  checkSingleEncryption(headers, key);
  return key;
}
