/**
 * The web portal's static assets (portal/, wrangler.toml [assets]) at /_portal/, on the service
 * host only: a virtual-host request (<bucket>.<SOS_BASE_DOMAIN or zone host>/_portal/...) names an object and
 * stays S3. Without an ASSETS binding (the end-to-end harness) there is no portal.
 */
import { hostConfig, virtualHostDomains, type Env } from "../env";
import { locate } from "../router";

export const PORTAL_PREFIX = "/_portal";

/** The portal's answer to `request`, or null when the request is not the portal's. */
export function portalResponse(request: Request, env: Env): Promise<Response> | null {
  const assets = (env as Env & { ASSETS?: Fetcher }).ASSETS;
  if (!assets || (request.method !== "GET" && request.method !== "HEAD")) return null;
  const url = new URL(request.url);
  if (url.pathname !== PORTAL_PREFIX && !url.pathname.startsWith(PORTAL_PREFIX + "/")) return null;
  try {
    if (locate(url, virtualHostDomains(hostConfig(env))).virtualHost) return null;
  } catch {
    return null; // an undecodable path, or a configuration the S3 pipeline reports: S3 answers it
  }
  return assets.fetch(request);
}
