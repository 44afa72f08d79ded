/**
 * Test-only Worker entry: the real Worker plus GET /__cache-sizes, which reports the isolate
 * caches' entry counts and estimated bytes, so a test can prove they stay bounded, and whether
 * the runtime offers crypto.subtle.timingSafeEqual (what src/auth/crypto.ts compares with).
 */
import { identityCacheSize } from "../../src/identity";
import worker from "../../src/index";
import { bucketCacheSize } from "../../src/store/d1";

export default {
  ...worker,
  fetch(request: Request, env: Parameters<typeof worker.fetch>[1], ctx: Parameters<typeof worker.fetch>[2]): Promise<Response> {
    if (new URL(request.url).pathname === "/__cache-sizes") {
      const subtleTimingSafeEqual = typeof (crypto.subtle as { timingSafeEqual?: unknown }).timingSafeEqual === "function";
      return Promise.resolve(Response.json({ identity: identityCacheSize(), buckets: bucketCacheSize(), subtleTimingSafeEqual }));
    }
    return worker.fetch(request, env, ctx);
  },
};
