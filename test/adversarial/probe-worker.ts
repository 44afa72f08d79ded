/**
 * Test-only Worker entry: the real Worker plus GET /__cache-sizes, which reports the isolate
 * caches' entry counts and estimated bytes, so a test can prove they stay bounded.
 */
import { identityCacheSize } from "../../src/identity";
import worker from "../../src/index";
import { bucketCacheSize } from "../../src/store/meta-d1";

export default {
  ...worker,
  fetch(request: Request, env: Parameters<typeof worker.fetch>[1], ctx: Parameters<typeof worker.fetch>[2]): Promise<Response> {
    if (new URL(request.url).pathname === "/__cache-sizes") {
      return Promise.resolve(Response.json({ identity: identityCacheSize(), buckets: bucketCacheSize() }));
    }
    return worker.fetch(request, env, ctx);
  },
};
