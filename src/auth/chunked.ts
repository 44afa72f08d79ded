/**
 * Streaming decoder for `Content-Encoding: aws-chunked` bodies.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
 *
 *   chunk   = hex-size [";chunk-signature=" sig] CRLF data CRLF
 *   last    = "0" [";chunk-signature=" sig] CRLF
 *   trailer = *( name ":" value CRLF ) ["x-amz-trailer-signature:" sig CRLF] CRLF
 *
 * Signed modes verify every chunk signature (chained from the request's seed signature) before
 * releasing the chunk, so at most one chunk is held; the unsigned mode passes data straight through.
 * Framing that real clients vary on is accepted: a blank line between the last chunk and the
 * trailers (the AWS trailer example), a missing final CRLF, bare LF line ends.
 */
import { S3Error } from "../errors";
import { checksumHeaderName, checksumMismatch, createChecksum, decodeChecksumValue, type Checksum, type ChecksumAlgorithm } from "../logic/checksums";
import { toBase64, toHex } from "../logic/encoding";
import { EMPTY_SHA256, hmac, sha256Hex, timingSafeEqual } from "./crypto";
import type { StreamingMode } from "./payload";
import type { ChunkSigning } from "./sigv4";

export interface TrailerChecksum {
  algorithm: ChecksumAlgorithm;
  value: string;
}

export interface AwsChunkedOptions {
  mode: StreamingMode;
  /** required for the two STREAMING-AWS4-HMAC-SHA256-* modes */
  signing?: ChunkSigning;
  /** x-amz-decoded-content-length; the decoded total must equal it */
  decodedLength: number | null;
  /** the checksum named by x-amz-trailer, verified against the trailer value */
  trailerAlgorithm?: ChecksumAlgorithm | null;
  /** largest chunk accepted (signed chunks are buffered whole); default 16 MiB */
  maxChunkSize?: number;
}

const MAX_LINE = 4096;
const MAX_TRAILERS = 16;
const TRAILER_SIGNATURE = "x-amz-trailer-signature";

export function awsChunkedDecoder(opts: AwsChunkedOptions): {
  stream: TransformStream<Uint8Array, Uint8Array>;
  /** resolves once the body has ended and every check passed; rejects with the stream's error */
  trailer: Promise<TrailerChecksum | null>;
} {
  if (opts.mode !== "STREAMING-UNSIGNED-PAYLOAD-TRAILER" && !opts.signing) {
    throw new S3Error("chunkedNeedsSigV4", { mode: opts.mode });
  }
  const d = new Decoder(opts);
  let settle!: { resolve: (t: TrailerChecksum | null) => void; reject: (e: unknown) => void };
  const trailer = new Promise<TrailerChecksum | null>((resolve, reject) => (settle = { resolve, reject }));
  trailer.catch(() => {});
  const fail = (e: unknown): never => {
    settle.reject(e);
    throw e;
  };
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform: (chunk, ctrl) => d.push(chunk, ctrl).catch(fail),
    flush: () => d.finish().then(settle.resolve, fail),
  });
  return { stream, trailer };
}

type Ctrl = TransformStreamDefaultController<Uint8Array>;

class Decoder {
  private state: "size" | "data" | "dataEnd" | "trailer" | "done" = "size";
  private readonly signed: boolean;
  private readonly line = new Uint8Array(MAX_LINE);
  private lineLen = 0;
  private sawCr = false; // in dataEnd: the CR of the CRLF after chunk data
  private remaining = 0; // data bytes left in the current chunk
  private chunk: Uint8Array | null = null; // signed mode: the chunk being collected
  private chunkFill = 0;
  private chunkSig = "";
  private prevSig: string;
  private total = 0;
  private readonly checksum: Checksum | null;
  private readonly trailers: [string, string][] = [];
  private trailerSig: string | null = null;

  constructor(private readonly opts: AwsChunkedOptions) {
    this.signed = opts.mode !== "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
    this.prevSig = opts.signing?.seedSignature ?? "";
    this.checksum = opts.trailerAlgorithm ? createChecksum(opts.trailerAlgorithm) : null;
  }

  async push(input: Uint8Array, ctrl: Ctrl): Promise<void> {
    let i = 0;
    while (i < input.length) {
      switch (this.state) {
        case "size":
        case "trailer": {
          const nl = input.indexOf(10, i);
          const end = nl < 0 ? input.length : nl;
          if (this.lineLen + (end - i) > MAX_LINE) throw new S3Error("chunkedLineTooLong");
          this.line.set(input.subarray(i, end), this.lineLen);
          this.lineLen += end - i;
          i = end;
          if (nl < 0) break;
          i = nl + 1;
          const text = this.takeLine();
          if (this.state === "size") await this.onSizeLine(text);
          else this.onTrailerLine(text);
          break;
        }
        case "data": {
          const n = Math.min(this.remaining, input.length - i);
          const piece = input.subarray(i, i + n);
          i += n;
          this.remaining -= n;
          if (this.chunk) {
            this.chunk.set(piece, this.chunkFill);
            this.chunkFill += n;
          } else {
            this.emit(piece, ctrl);
          }
          if (this.remaining === 0) {
            if (this.chunk) {
              await this.verifyChunk(this.chunk);
              this.emit(this.chunk, ctrl);
              this.chunk = null;
            }
            this.state = "dataEnd";
          }
          break;
        }
        case "dataEnd": {
          const b = input[i++]!;
          if (b === 13 && !this.sawCr) this.sawCr = true;
          else if (b === 10) {
            this.sawCr = false;
            this.state = "size";
          } else throw new S3Error("chunkedDataWithoutCrlf");
          break;
        }
        case "done": {
          const b = input[i++]!;
          if (b !== 13 && b !== 10) throw new S3Error("chunkedDataAfterEnd");
          break;
        }
      }
    }
  }

  async finish(): Promise<TrailerChecksum | null> {
    if (this.state === "trailer") {
      if (this.lineLen > 0) this.onTrailerLine(this.takeLine()); // last line without CRLF
      this.state = "done";
    }
    if (this.state !== "done") throw new S3Error("chunkedEndedEarly");
    const want = this.opts.decodedLength;
    if (want !== null && this.total !== want) throw incomplete(this.total, want);
    if (this.opts.mode === "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") await this.verifyTrailer();
    else if (this.trailerSig !== null) throw new S3Error("chunkedTrailerSignatureUnexpected");
    if (this.opts.mode === "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" && this.trailers.length) {
      throw new S3Error("chunkedTrailersNotAllowed");
    }
    const algo = this.opts.trailerAlgorithm;
    if (!algo) return null;
    const name = checksumHeaderName(algo);
    const sent = this.trailers.find(([n]) => n === name)?.[1];
    if (sent === undefined) throw new S3Error("chunkedTrailerMissing", { name });
    const expected = decodeChecksumValue(algo, sent);
    const got = await this.checksum!.digest();
    if (got !== toBase64(expected)) throw checksumMismatch(algo);
    return { algorithm: algo, value: got };
  }

  private takeLine(): string {
    let n = this.lineLen;
    if (n > 0 && this.line[n - 1] === 13) n--;
    this.lineLen = 0;
    return String.fromCharCode(...this.line.subarray(0, n));
  }

  private async onSizeLine(text: string): Promise<void> {
    const semi = text.indexOf(";");
    const hex = (semi >= 0 ? text.slice(0, semi) : text).trim();
    if (!/^[0-9a-fA-F]{1,16}$/.test(hex)) throw new S3Error("chunkedSizeInvalid");
    const size = parseInt(hex, 16);
    let sig: string | null = null;
    if (semi >= 0) {
      for (const ext of text.slice(semi + 1).split(";")) {
        const eq = ext.indexOf("=");
        if (eq > 0 && ext.slice(0, eq).trim() === "chunk-signature") sig = ext.slice(eq + 1).trim();
      }
    }
    if (this.signed) {
      if (sig === null) throw new S3Error("chunkedSignatureMissing");
      this.chunkSig = sig;
    }
    const want = this.opts.decodedLength;
    if (want !== null && this.total + size > want) throw incomplete(this.total + size, want);
    if (size === 0) {
      if (this.signed) await this.checkSig(chunkStringToSign(this.opts.signing!, this.prevSig, EMPTY_SHA256));
      this.state = "trailer";
      return;
    }
    if (size > (this.opts.maxChunkSize ?? 16 << 20)) throw new S3Error("chunkedChunkTooLarge");
    this.remaining = size;
    if (this.signed) {
      this.chunk = new Uint8Array(size);
      this.chunkFill = 0;
    }
    this.state = "data";
  }

  private onTrailerLine(text: string): void {
    if (text.trim() === "") {
      // A blank line ends the trailer, unless it comes before trailers we are still waiting for.
      const expecting = !!this.opts.trailerAlgorithm || this.opts.mode === "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
      if (this.trailers.length || this.trailerSig !== null || !expecting) this.state = "done";
      return;
    }
    const colon = text.indexOf(":");
    if (colon <= 0) throw new S3Error("chunkedTrailerLineMalformed");
    const name = text.slice(0, colon).trim().toLowerCase();
    const value = text.slice(colon + 1).trim();
    if (name === TRAILER_SIGNATURE) this.trailerSig = value;
    else if (this.trailers.push([name, value]) > MAX_TRAILERS) throw new S3Error("chunkedTooManyTrailers");
  }

  private emit(bytes: Uint8Array, ctrl: Ctrl): void {
    this.total += bytes.length;
    this.checksum?.update(bytes);
    ctrl.enqueue(bytes);
  }

  private async verifyChunk(data: Uint8Array): Promise<void> {
    await this.checkSig(chunkStringToSign(this.opts.signing!, this.prevSig, await sha256Hex(data)));
  }

  private async verifyTrailer(): Promise<void> {
    if (this.trailerSig === null) throw new S3Error("chunkedTrailerSignatureMissing");
    this.chunkSig = this.trailerSig;
    const canonical = [...this.trailers]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([n, v]) => `${n}:${v}\n`)
      .join("");
    const s = this.opts.signing!;
    await this.checkSig(`AWS4-HMAC-SHA256-TRAILER\n${s.amzDate}\n${s.scope}\n${this.prevSig}\n${await sha256Hex(canonical)}`);
  }

  /** Compares `this.chunkSig` with the HMAC of `sts`; the verified signature seeds the next one. */
  private async checkSig(sts: string): Promise<void> {
    const expected = toHex(await hmac(this.opts.signing!.key, sts));
    if (!timingSafeEqual(expected, this.chunkSig.toLowerCase())) {
      throw new S3Error("SignatureDoesNotMatch", undefined, { StringToSign: sts, SignatureProvided: this.chunkSig });
    }
    this.prevSig = expected;
  }
}

export function chunkStringToSign(s: ChunkSigning, prevSig: string, dataSha256: string): string {
  return `AWS4-HMAC-SHA256-PAYLOAD\n${s.amzDate}\n${s.scope}\n${prevSig}\n${EMPTY_SHA256}\n${dataSha256}`;
}

function incomplete(got: number, want: number): S3Error {
  return new S3Error("chunkedLengthMismatch", { got, want });
}
