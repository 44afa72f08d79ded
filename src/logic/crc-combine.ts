/**
 * Full-object CRCs of multipart uploads without reading the bytes again: the CRC of A‖B follows
 * from crc(A), crc(B) and len(B) alone (zlib's crc32_combine, by Mark Adler).
 *
 * For a reflected CRC with init and final xor all ones (CRC32, CRC32C and CRC64NVME are all of
 * that kind), crc(A‖B) = crc(A)·x^(8·len(B)) mod P  ⊕  crc(B): the init/xorout terms cancel. The
 * multiplication is carry-less modulo the CRC polynomial, in the reflected bit order the CRC
 * registers use, so the values combine exactly as S3 sends them (base64 of the big-endian value).
 *
 * S3 calls this checksum type FULL_OBJECT ("x-amz-checksum-type: FULL_OBJECT"), available for the
 * CRC algorithms only: https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 *
 * BigInt keeps one implementation for the 32- and 64-bit widths. The power x^(8n) is cached by n:
 * all parts but the last of an upload usually have one size, so a 10,000-part upload costs about
 * 10,000 multiplications of `width` steps each.
 */
import { fromBase64, toBase64 } from "./encoding";

export type CrcAlgorithm = "CRC32" | "CRC32C" | "CRC64NVME";

export const CRC_ALGORITHMS: readonly CrcAlgorithm[] = ["CRC32", "CRC32C", "CRC64NVME"];

export function isCrcAlgorithm(algo: string): algo is CrcAlgorithm {
  return (CRC_ALGORITHMS as readonly string[]).includes(algo);
}

class CrcField {
  /** x^(2^k) mod P for k = 0..63 (x^(2^k · 8) is entry k+3). */
  private readonly powers: bigint[] = [];
  private readonly byteShift = new Map<number, bigint>();
  private readonly top: bigint;

  constructor(
    readonly width: number,
    private readonly reflectedPoly: bigint,
  ) {
    this.top = 1n << BigInt(width - 1);
    let p = this.top >> 1n; // x^1
    for (let k = 0; k < 64; k++) {
      this.powers.push(p);
      p = this.multiply(p, p);
    }
  }

  /** a·b mod P, both in reflected order (the top bit is x^0). */
  multiply(a: bigint, b: bigint): bigint {
    let m = this.top;
    let p = 0n;
    while (m !== 0n) {
      if (a & m) {
        p ^= b;
        if ((a & (m - 1n)) === 0n) break;
      }
      m >>= 1n;
      b = b & 1n ? (b >> 1n) ^ this.reflectedPoly : b >> 1n;
    }
    return p;
  }

  /** x^(8·n) mod P: the factor that moves a CRC over n more bytes. */
  shiftFor(bytes: number): bigint {
    const cached = this.byteShift.get(bytes);
    if (cached !== undefined) return cached;
    let p = this.top; // x^0
    let n = bytes;
    for (let k = 3; n > 0; k++, n = Math.floor(n / 2)) {
      if (n % 2 === 1) p = this.multiply(this.powers[k]!, p);
    }
    if (this.byteShift.size < 64) this.byteShift.set(bytes, p);
    return p;
  }

  /** crc(A‖B) from crc(A), crc(B) and len(B). */
  combine(crcA: bigint, crcB: bigint, lengthB: number): bigint {
    if (lengthB === 0) return crcA;
    return this.multiply(this.shiftFor(lengthB), crcA) ^ crcB;
  }
}

const FIELDS: Record<CrcAlgorithm, CrcField> = {
  CRC32: new CrcField(32, 0xedb88320n),
  CRC32C: new CrcField(32, 0x82f63b78n),
  CRC64NVME: new CrcField(64, 0x9a6c9329ac4bc9b5n),
};

export interface CrcPart {
  /** base64 of the big-endian CRC of the part, as UploadPart's x-amz-checksum-* carries it */
  checksum: string;
  size: number;
}

/**
 * The CRC of the concatenated parts, as base64 of the big-endian value. Throws when a part's
 * value is not base64 of the algorithm's width (callers validate part checksums on upload, so this
 * would be stored data gone wrong).
 */
export function combineCrcParts(algo: CrcAlgorithm, parts: readonly CrcPart[]): string {
  const field = FIELDS[algo];
  let crc = 0n; // the CRC of zero bytes is 0 for these algorithms
  for (const part of parts) crc = field.combine(crc, decodeCrc(algo, part.checksum), part.size);
  return encodeCrc(field.width, crc);
}

function decodeCrc(algo: CrcAlgorithm, value: string): bigint {
  const bytes = fromBase64(value.trim());
  if (!bytes || bytes.length * 8 !== FIELDS[algo].width) throw new Error(`not a ${algo} value: ${value}`);
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function encodeCrc(width: number, v: bigint): string {
  const out = new Uint8Array(width / 8);
  for (let i = out.length - 1; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
  return toBase64(out);
}
