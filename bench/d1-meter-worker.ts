/**
 * Measurement-only Worker entry (`npm run bench:capacity`): the real Worker with its D1 binding
 * wrapped so that every statement's `meta` (SQL execution time, rows read, rows written, as D1
 * reports them) is added up. GET /__d1-meter returns (and resets) the totals since the last call.
 * `first()` and `raw()` return no meta, so the meter runs them as `all()` and shapes the answer
 * the same way; nothing else changes.
 */
import worker from "../src/index";

type Totals = { calls: number; statements: number; durationMs: number; rowsRead: number; rowsWritten: number };
const zero = (): Totals => ({ calls: 0, statements: 0, durationMs: 0, rowsRead: 0, rowsWritten: 0 });
let totals = zero();

type Meta = { duration?: number; rows_read?: number; rows_written?: number };
type Result = { results: Record<string, unknown>[]; meta?: Meta };
type Statement = {
  bind(...args: unknown[]): Statement;
  all(): Promise<Result>;
  raw(opts?: { columnNames?: boolean }): Promise<unknown[][]>;
};
type Database = { prepare(sql: string): Statement; batch(s: Statement[]): Promise<Result[]>; exec(sql: string): Promise<unknown> };

function add(meta: Meta | undefined): void {
  totals.statements++;
  totals.durationMs += meta?.duration ?? 0;
  totals.rowsRead += meta?.rows_read ?? 0;
  totals.rowsWritten += meta?.rows_written ?? 0;
}

const originals = new WeakMap<object, Statement>();

function metered(s: Statement): Statement {
  const all = async (): Promise<Result> => {
    totals.calls++;
    const r = await s.all();
    add(r.meta);
    return r;
  };
  const proxy = {
    bind: (...args: unknown[]) => metered(s.bind(...args)),
    all,
    run: all,
    async first(column?: string) {
      const row = (await all()).results[0];
      if (row === undefined) return null;
      return column === undefined ? row : row[column];
    },
    async raw(opts?: { columnNames?: boolean }) {
      const r = await all();
      const names = r.results[0] ? Object.keys(r.results[0]) : [];
      const rows = r.results.map((row) => names.map((n) => row[n]));
      return opts?.columnNames ? [names, ...rows] : rows;
    },
  } as unknown as Statement;
  originals.set(proxy, s);
  return proxy;
}

function meteredDatabase(db: Database): Database {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => metered(target.prepare(sql));
      if (prop === "batch")
        return async (statements: Statement[]) => {
          totals.calls++;
          const results = await target.batch(statements.map((s) => originals.get(s) ?? s));
          for (const r of results) add(r.meta);
          return results;
        };
      const v = (target as unknown as Record<string | symbol, unknown>)[prop];
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

export default {
  ...worker, // the scheduled (and any other) handlers, unmetered
  async fetch(request: Request, env: Record<string, unknown>, ctx: ExecutionContext): Promise<Response> {
    if (new URL(request.url).pathname === "/__d1-meter") {
      const out = totals;
      totals = zero();
      return Response.json(out);
    }
    return worker.fetch(request, { ...env, DB: meteredDatabase(env.DB as Database) } as never, ctx);
  },
};
