/**
 * Streaming multipart/form-data reader for browser POST uploads (RFC 7578, RFC 2046 section 5.1).
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html
 *
 * The fields before the file are small and read into memory (at most `maxPreFileBytes`, as S3
 * caps them). The file, which S3 requires to be the last field, is never buffered: it is handed
 * on as a stream of exactly `length` bytes, computed from Content-Length minus what precedes the
 * file minus the closing delimiter "\r\n--boundary--\r\n" that browsers and the usual form
 * libraries send. R2 needs that length before the first byte. The stream checks on the way that
 * the boundary does not occur inside the file (a field after the file) and that the body ends
 * exactly with that delimiter; otherwise it fails with MalformedPOSTRequest and nothing is kept.
 */
import { S3Error } from "../errors";

export type FormFile = {
  /** the filename parameter of the file part ("" when absent) */
  filename: string;
  contentType: string | null;
  stream: ReadableStream<Uint8Array>;
  /** exact byte length of the file */
  length: number;
};

export type ParsedForm = {
  /** fields before the file, names as sent, in order */
  fields: [string, string][];
  file: FormFile | null;
};

const enc = new TextEncoder();
const dec = new TextDecoder();
const CRLF = enc.encode("\r\n");
const HEADER_END = enc.encode("\r\n\r\n");

/** The boundary of a multipart/form-data Content-Type, or null when it is not one. */
export function formBoundary(contentType: string | null): string | null {
  if (contentType === null) return null;
  const [type, ...params] = contentType.split(";");
  if (type!.trim().toLowerCase() !== "multipart/form-data") return null;
  for (const p of params) {
    const eq = p.indexOf("=");
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== "boundary") continue;
    let v = p.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1);
    return v.length >= 1 && v.length <= 70 ? v : null;
  }
  return null;
}

/** Index of `needle` in `hay` at or after `from`, or -1. */
export function indexOfBytes(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0]!;
  const last = hay.length - needle.length;
  for (let i = hay.indexOf(first, from); i !== -1 && i <= last; i = hay.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && hay[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

const malformed = () => new S3Error("MalformedPOSTRequest");

/** name, filename and Content-Type of one part, from its header block. */
function partHeaders(block: string): { name: string; filename: string | null; contentType: string | null } {
  let disposition: string | null = null;
  let contentType: string | null = null;
  for (const line of block.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw malformed();
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "content-disposition") disposition = value;
    else if (name === "content-type") contentType = value;
  }
  if (disposition === null || !/^form-data\s*(;|$)/i.test(disposition)) throw malformed();
  const param = (key: string): string | null => {
    const m = new RegExp(`;\\s*${key}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, "i").exec(disposition!);
    return m ? (m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2]!) : null;
  };
  const name = param("name");
  if (name === null) throw malformed();
  return { name, filename: param("filename"), contentType };
}

/**
 * Reads the form up to the file part (the field named "file"), which is returned as a stream of
 * the rest of the body. `totalLength` is the request's Content-Length.
 */
export async function readForm(
  body: ReadableStream<Uint8Array>,
  boundary: string,
  totalLength: number,
  opts: { maxPreFileBytes: number },
): Promise<ParsedForm> {
  const reader = body.getReader();
  const dashBoundary = enc.encode("--" + boundary);
  const delimiter = enc.encode("\r\n--" + boundary);
  let buf: Uint8Array = new Uint8Array(0);
  let consumed = 0; // body bytes before buf[0]
  let eof = false;

  /** Reads until `pattern` is in buf at or after `from`; returns its index. */
  const find = async (pattern: Uint8Array, from: number): Promise<number> => {
    for (;;) {
      const i = indexOfBytes(buf, pattern, from);
      if (i >= 0) return i;
      if (eof) throw malformed();
      if (consumed + buf.length > opts.maxPreFileBytes) {
        await reader.cancel().catch(() => {});
        throw new S3Error("MaxPostPreDataLengthExceededError");
      }
      const { done, value } = await reader.read();
      if (done) eof = true;
      else buf = concat(buf, value);
    }
  };
  const need = async (n: number) => {
    while (buf.length < n && !eof) {
      const { done, value } = await reader.read();
      if (done) eof = true;
      else buf = concat(buf, value);
    }
    if (buf.length < n) throw malformed();
  };
  const drop = (n: number) => {
    buf = buf.subarray(n);
    consumed += n;
  };

  // Preamble, then the first boundary line.
  const start = await find(dashBoundary, 0);
  if (start !== 0 && (start < 2 || buf[start - 2] !== 13 || buf[start - 1] !== 10)) throw malformed();
  drop(start + dashBoundary.length);
  const fields: [string, string][] = [];
  for (;;) {
    // After a boundary: "--" ends the form, CRLF starts a part.
    await need(2);
    if (buf[0] === 45 && buf[1] === 45) {
      await reader.cancel().catch(() => {});
      return { fields, file: null };
    }
    if (buf[0] !== CRLF[0] || buf[1] !== CRLF[1]) throw malformed();
    drop(2);
    const headerEnd = await find(HEADER_END, 0);
    const part = partHeaders(dec.decode(buf.subarray(0, headerEnd)));
    drop(headerEnd + HEADER_END.length);
    if (part.name.toLowerCase() === "file") {
      const closing = enc.encode(`\r\n--${boundary}--\r\n`);
      const length = totalLength - consumed - closing.length;
      if (length < 0) throw malformed();
      const file = fileStream(reader, buf, length, delimiter, closing);
      return { fields, file: { filename: part.filename ?? "", contentType: part.contentType, stream: file, length } };
    }
    const end = await find(delimiter, 0);
    fields.push([part.name, dec.decode(buf.subarray(0, end))]);
    drop(end + delimiter.length);
  }
}

/**
 * The file's bytes: `leftover` (already read past the part headers), then the rest of the body.
 * Emits exactly `length` bytes and fails if the boundary shows up inside them or if what follows
 * is not exactly `closing`.
 */
function fileStream(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  leftover: Uint8Array,
  length: number,
  delimiter: Uint8Array,
  closing: Uint8Array,
): ReadableStream<Uint8Array> {
  let pending: Uint8Array | null = leftover.length > 0 ? leftover : null;
  let left = length;
  let carry: Uint8Array = new Uint8Array(0); // last delimiter.length - 1 file bytes, for matches across chunks
  let tail: Uint8Array = new Uint8Array(0);
  const keep = delimiter.length - 1;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          let chunk: Uint8Array;
          if (pending) {
            chunk = pending;
            pending = null;
          } else {
            const { done, value } = await reader.read();
            if (done) {
              if (left > 0) return controller.error(new S3Error("IncompleteBody"));
              if (tail.length !== closing.length || indexOfBytes(tail, closing) !== 0) {
                return controller.error(new S3Error("postFileNotLastBeforeClose"));
              }
              return controller.close();
            }
            chunk = value;
          }
          const filePart = chunk.subarray(0, Math.min(left, chunk.length));
          if (filePart.length > 0) {
            const edge = concat(carry, filePart.subarray(0, keep));
            if (indexOfBytes(edge, delimiter) >= 0 || indexOfBytes(filePart, delimiter) >= 0) {
              await reader.cancel().catch(() => {});
              return controller.error(new S3Error("postFileNotLast"));
            }
            carry = filePart.length >= keep ? filePart.slice(filePart.length - keep) : concat(carry, filePart).slice(-keep);
            left -= filePart.length;
          }
          const rest = chunk.subarray(filePart.length);
          if (rest.length > 0) {
            tail = concat(tail, rest);
            if (tail.length > closing.length) {
              await reader.cancel().catch(() => {});
              return controller.error(new S3Error("postFileNotLastBeforeClose"));
            }
          }
          if (filePart.length > 0) return controller.enqueue(filePart);
        }
      },
      async cancel(reason) {
        await reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}
