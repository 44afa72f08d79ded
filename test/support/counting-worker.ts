/**
 * Test-only Worker entry: the real Worker with its D1 and R2 bindings wrapped in counters of the
 * round trips they make. GET /__round-trips returns (and resets) the counts since the last call:
 * D1 calls (a statement's first/all/run/raw, a batch, an exec) with the statements they carried,
 * and R2 calls by method. Used by test/e2e/round-trips.test.ts.
 */
import worker from "../../src/index";

type Counts = { d1Calls: number; d1Statements: number; r2: Record<string, number> };
let counts: Counts = { d1Calls: 0, d1Statements: 0, r2: {} };

type Target = Record<string | symbol, unknown>;
const unwrap = new WeakMap<object, object>();

function method(target: Target, prop: string | symbol): unknown {
  const v = target[prop];
  return typeof v === "function" ? v.bind(target) : v;
}

function statement(s: Target): Target {
  const proxy = new Proxy(s, {
    get(target, prop) {
      if (prop === "bind") return (...args: unknown[]) => statement((target.bind as (...a: unknown[]) => Target)(...args));
      if (prop === "first" || prop === "all" || prop === "run" || prop === "raw") {
        return (...args: unknown[]) => {
          counts.d1Calls++;
          counts.d1Statements++;
          return (target[prop] as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return method(target, prop);
    },
  });
  unwrap.set(proxy, s);
  return proxy;
}

function database(db: Target): Target {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => statement((target.prepare as (q: string) => Target)(sql));
      if (prop === "batch")
        return (statements: object[]) => {
          counts.d1Calls++;
          counts.d1Statements += statements.length;
          return (target.batch as (s: object[]) => unknown)(statements.map((s) => unwrap.get(s) ?? s));
        };
      if (prop === "exec")
        return (sql: string) => {
          counts.d1Calls++;
          return (target.exec as (q: string) => unknown)(sql);
        };
      return method(target, prop);
    },
  });
}

function bucket(b: Target): Target {
  return new Proxy(b, {
    get(target, prop) {
      const v = target[prop];
      if (typeof v !== "function" || typeof prop !== "string") return v;
      return (...args: unknown[]) => {
        counts.r2[prop] = (counts.r2[prop] ?? 0) + 1;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

export default {
  async fetch(request: Request, env: Record<string, unknown>, ctx: { waitUntil(p: Promise<unknown>): void }): Promise<Response> {
    if (new URL(request.url).pathname === "/__round-trips") {
      const out = counts;
      counts = { d1Calls: 0, d1Statements: 0, r2: {} };
      return Response.json(out);
    }
    const wrapped: Record<string, unknown> = { ...env };
    for (const [name, binding] of Object.entries(env)) {
      if (name === "DB") wrapped[name] = database(binding as Target);
      else if (name.startsWith("R2_")) wrapped[name] = bucket(binding as Target);
    }
    return worker.fetch(request as never, wrapped as never, ctx as never);
  },
  // Background work (the cron trigger, job messages) is not counted.
  scheduled: worker.scheduled,
  queue: worker.queue,
};
