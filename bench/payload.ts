/**
 * Object bodies of any size without holding them in memory: byte `o` of every body is
 * PATTERN[o % PERIOD]. The period (1 MiB + 7) divides no part size, so every part of a multipart
 * object has different bytes and a GET that returned parts out of order would be caught. Downloads
 * are compared with the pattern byte for byte as they arrive (memcmp speed, no hashing).
 */
import crypto from "node:crypto";
import { Readable } from "node:stream";

const PERIOD = 1024 * 1024 + 7;
// Two periods back to back: any window of up to PERIOD bytes is one zero-copy subarray.
const DOUBLED = (() => {
  const p = crypto.randomBytes(PERIOD);
  return Buffer.concat([p, p]);
})();
const SLICE = 256 * 1024;

/** The bytes [offset, offset + length) of the pattern, length <= PERIOD. */
function window(offset: number, length: number): Buffer {
  const start = offset % PERIOD;
  return DOUBLED.subarray(start, start + length);
}

/** A fresh stream of `length` pattern bytes starting at `offset`. */
export function patternStream(length: number, offset = 0): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= length) return void this.push(null);
      const n = Math.min(SLICE, length - sent);
      this.push(window(offset + sent, n));
      sent += n;
    },
  });
}

/** `length` pattern bytes starting at `offset`, as one buffer (small bodies). */
export function patternBuffer(length: number, offset = 0): Buffer {
  const out = Buffer.alloc(length);
  for (let done = 0; done < length; done += PERIOD) window(offset + done, Math.min(PERIOD, length - done)).copy(out, done);
  return out;
}

/** A response-chunk checker: throws at the first byte that differs from the pattern. */
export function patternChecker(what: string): (chunk: Buffer, offset: number) => void {
  return (chunk, offset) => {
    for (let i = 0; i < chunk.length; i += PERIOD) {
      const piece = chunk.subarray(i, Math.min(chunk.length, i + PERIOD));
      if (!piece.equals(window(offset + i, piece.length))) throw new Error(`${what}: bytes differ from what was uploaded near offset ${offset + i}`);
    }
  };
}
