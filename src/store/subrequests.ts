/**
 * The subrequest budget of one invocation. Cloudflare counts every D1 and R2 call a Worker makes
 * against a per-invocation limit (Free plan 50, Paid 1000): past it, the call throws, so a GET
 * already streaming would be cut off. Requests and jobs count their calls here (D1 through
 * `countingDatabase`, R2 in BlobStore) and check what is left before they start work that needs more.
 */
export class Subrequests {
  count = 0;
  constructor(readonly budget: number) {}

  /** Calls this invocation may still make. */
  left(): number {
    return this.budget - this.count;
  }
}

type Statement = D1PreparedStatement & Record<string, unknown>;

/**
 * `db` with each round trip (a statement's first/all/run/raw, a batch, an exec) counted in `counter`.
 * Statements are wrapped so their calls count; a batch hands D1 the statements it made.
 */
export function countingDatabase(db: D1Database, counter: Subrequests): D1Database {
  const original = new WeakMap<object, D1PreparedStatement>();
  const wrap = (s: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(s as Statement, {
      get(target, prop) {
        if (prop === "bind") return (...args: unknown[]) => wrap(target.bind(...args));
        const v = target[prop as string];
        if (typeof v !== "function") return v;
        if (prop === "first" || prop === "all" || prop === "run" || prop === "raw") counter.count++;
        return (v as (...a: unknown[]) => unknown).bind(target);
      },
    });
    original.set(proxy, s);
    return proxy;
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => wrap(target.prepare(sql));
      if (prop === "batch")
        return (statements: D1PreparedStatement[]) => {
          counter.count++;
          return target.batch(statements.map((s) => original.get(s) ?? s));
        };
      if (prop === "exec")
        return (sql: string) => {
          counter.count++;
          return target.exec(sql);
        };
      const v = (target as unknown as Record<string | symbol, unknown>)[prop];
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}
