/**
 * An isolate-memory cache with a time to live and hard bounds on entries and on (estimated)
 * bytes, evicting the least recently used entry first. A Map keeps insertion order, so
 * re-inserting on every hit makes its first key the least recently used one.
 * Isolates live for many requests: anything keyed by client input must be bounded, or a stream
 * of distinct bogus keys grows memory without limit.
 */
export type BoundedCacheOptions<V> = {
  ttlMs: number;
  maxEntries: number;
  maxBytes: number;
  /** estimated size of one entry (key included), in bytes */
  sizeOf: (key: string, value: V) => number;
};

export class BoundedCache<V> {
  private readonly entries = new Map<string, { at: number; value: V; bytes: number }>();
  private totalBytes = 0;

  constructor(private readonly opts: BoundedCacheOptions<V>) {}

  /** The fresh value for `key`, or undefined (expired entries are dropped). */
  get(key: string, now = Date.now()): V | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    this.entries.delete(key);
    if (now - hit.at >= this.opts.ttlMs) {
      this.totalBytes -= hit.bytes;
      return undefined;
    }
    this.entries.set(key, hit);
    return hit.value;
  }

  set(key: string, value: V, now = Date.now()): void {
    this.delete(key);
    const bytes = this.opts.sizeOf(key, value);
    if (bytes > this.opts.maxBytes) return; // would evict everything else: not worth caching
    this.entries.set(key, { at: now, value, bytes });
    this.totalBytes += bytes;
    while (this.entries.size > this.opts.maxEntries || this.totalBytes > this.opts.maxBytes) {
      this.delete(this.entries.keys().next().value!);
    }
  }

  delete(key: string): void {
    const hit = this.entries.get(key);
    if (!hit) return;
    this.entries.delete(key);
    this.totalBytes -= hit.bytes;
  }

  clear(): void {
    this.entries.clear();
    this.totalBytes = 0;
  }

  /** Current entry count and estimated bytes (for tests and the bounds proof). */
  size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.totalBytes };
  }
}

/** Rough UTF-16 size of the strings in a JSON-able value: a bound, not an exact measure. */
export function estimateBytes(value: unknown): number {
  return 2 * (JSON.stringify(value)?.length ?? 0) + 64;
}
