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

/** A statement whose round trips (first/all/run/raw) count in `counter`; `bind` keeps it counted. */
class CountedStatement implements D1PreparedStatement {
  constructor(
    readonly inner: D1PreparedStatement,
    private readonly counter: Subrequests,
  ) {}
  bind(...values: unknown[]): D1PreparedStatement {
    return new CountedStatement(this.inner.bind(...values), this.counter);
  }
  first<T = unknown>(colName: string): Promise<T | null>;
  first<T = Record<string, unknown>>(): Promise<T | null>;
  first<T>(colName?: string): Promise<T | null> {
    this.counter.count++;
    return colName === undefined ? this.inner.first<T>() : this.inner.first<T>(colName);
  }
  run<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    this.counter.count++;
    return this.inner.run<T>();
  }
  all<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    this.counter.count++;
    return this.inner.all<T>();
  }
  raw<T = unknown[]>(options: { columnNames: true }): Promise<[string[], ...T[]]>;
  raw<T = unknown[]>(options?: { columnNames?: false }): Promise<T[]>;
  raw<T = unknown[]>(options?: { columnNames?: boolean }): Promise<T[] | [string[], ...T[]]> {
    this.counter.count++;
    return options?.columnNames ? this.inner.raw<T>({ columnNames: true }) : this.inner.raw<T>();
  }
}

/**
 * `db` with each round trip (a statement's first/all/run/raw, a batch, an exec) counted in `counter`.
 * Plain typed wrappers rather than Proxies: every method is spelled out, so none can slip past the count.
 */
class CountedDatabase implements D1Database {
  constructor(
    private readonly db: D1Database,
    private readonly counter: Subrequests,
  ) {}
  prepare(query: string): D1PreparedStatement {
    return new CountedStatement(this.db.prepare(query), this.counter);
  }
  batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> {
    this.counter.count++;
    return this.db.batch<T>(statements.map((s) => (s instanceof CountedStatement ? s.inner : s)));
  }
  exec(query: string): Promise<D1ExecResult> {
    this.counter.count++;
    return this.db.exec(query);
  }
  /** Refused: a session's calls would bypass the count (nothing here uses sessions). */
  withSession(_constraintOrBookmark?: D1SessionBookmark | D1SessionConstraint): D1DatabaseSession {
    throw new Error("D1 sessions are not counted against the subrequest budget: count them before using one");
  }
  dump(): Promise<ArrayBuffer> {
    return this.db.dump();
  }
}

export function countingDatabase(db: D1Database, counter: Subrequests): D1Database {
  return new CountedDatabase(db, counter);
}
