/**
 * Test-only Worker entry: the real Worker plus GET /__checksums, which computes every S3 checksum
 * algorithm over the same random bytes (fed in uneven chunks) both natively (crypto.DigestStream)
 * and with the JS implementations, inside workerd, and reports both.
 */
import { CHECKSUM_ALGORITHMS, createChecksum, hasNativeChecksum, jsChecksum } from "../../src/logic/checksums";
import worker from "../../src/index";

export default {
  ...worker,
  async fetch(request: Request, env: Parameters<typeof worker.fetch>[1], ctx: Parameters<typeof worker.fetch>[2]): Promise<Response> {
    if (new URL(request.url).pathname !== "/__checksums") return worker.fetch(request, env, ctx);
    const data = crypto.getRandomValues(new Uint8Array(65536));
    const out: Record<string, { native: boolean; value: string; js: string }> = {};
    for (const algo of CHECKSUM_ALGORITHMS) {
      const native = createChecksum(algo);
      const js = jsChecksum(algo);
      for (const [from, to] of [
        [0, 1],
        [1, 4097],
        [4097, 65536],
      ]) {
        native.update(data.subarray(from, to));
        js.update(data.subarray(from, to));
      }
      out[algo] = { native: hasNativeChecksum(algo), value: await native.digest(), js: await js.digest() };
    }
    return Response.json(out);
  },
};
