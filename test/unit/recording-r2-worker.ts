/**
 * Test-only Worker entry: the real Worker with every R2 binding wrapped in a recorder of the
 * `ssecKey` each put/get receives. GET /__r2-calls returns (and clears) what was recorded.
 * Local R2 does not encrypt, so this is how a test sees that the customer key reaches R2.
 */
import worker from "../../src/index";

/** The part of an R2 binding this wrapper intercepts (typed locally: tests compile with Node's types). */
type Bucket = Record<"put" | "get" | "createMultipartUpload", (key: string, ...rest: unknown[]) => Promise<unknown>>;

type Call = { op: "put" | "get" | "createMultipartUpload"; key: string; ssecKey: string | null };
const calls: Call[] = [];

const keyOf = (opts: unknown): string | null => {
  const k = (opts as { ssecKey?: unknown } | undefined)?.ssecKey;
  if (k === undefined || k === null) return null;
  return typeof k === "string" ? k : [...new Uint8Array(k as ArrayBuffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
};

function recording(bucket: Bucket): Bucket {
  return new Proxy(bucket, {
    get(target, prop) {
      const record = (op: Call["op"], key: string, opts: unknown) => calls.push({ op, key, ssecKey: keyOf(opts) });
      if (prop === "put")
        return (key: string, value: unknown, opts?: unknown) => {
          record("put", key, opts);
          return target.put(key, value, opts);
        };
      if (prop === "get")
        return (key: string, opts?: unknown) => {
          record("get", key, opts);
          return target.get(key, opts);
        };
      if (prop === "createMultipartUpload")
        return (key: string, opts?: unknown) => {
          record("createMultipartUpload", key, opts);
          return target.createMultipartUpload(key, opts);
        };
      const v = (target as unknown as Record<string | symbol, unknown>)[prop];
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

export default {
  async fetch(request: Request, env: Record<string, unknown>, ctx: unknown): Promise<Response> {
    if (new URL(request.url).pathname === "/__r2-calls") return Response.json(calls.splice(0));
    const wrapped: Record<string, unknown> = { ...env };
    for (const [name, binding] of Object.entries(env)) if (name.startsWith("R2_")) wrapped[name] = recording(binding as Bucket);
    return worker.fetch(request, wrapped as never, ctx as never);
  },
};
