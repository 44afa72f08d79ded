import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { S3Error } from "../errors";
import { formBoundary, indexOfBytes, readForm } from "./form-data";

const B = "----WebKitFormBoundaryX3a9";
const enc = new TextEncoder();

function body(parts: ([string, string] | [string, Uint8Array, string])[], end = `--${B}--\r\n`): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (const p of parts) {
    if (typeof p[1] === "string") chunks.push(enc.encode(`--${B}\r\nContent-Disposition: form-data; name="${p[0]}"\r\n\r\n${p[1]}\r\n`));
    else {
      chunks.push(enc.encode(`--${B}\r\nContent-Disposition: form-data; name="${p[0]}"; filename="${p[2]}"\r\nContent-Type: image/png\r\n\r\n`));
      chunks.push(p[1], enc.encode("\r\n"));
    }
  }
  chunks.push(enc.encode(end));
  return Buffer.concat(chunks);
}

/** The body as a stream of `size`-byte chunks, to cross every boundary inside a chunk. */
function streamOf(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i >= bytes.length) return c.close();
      c.enqueue(bytes.slice(i, i + size));
      i += size;
    },
  });
}

async function drain(s: ReadableStream<Uint8Array>): Promise<Buffer> {
  const out: Uint8Array[] = [];
  const r = s.getReader();
  for (;;) {
    const { done, value } = await r.read();
    if (done) return Buffer.concat(out);
    out.push(value);
  }
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    if (e instanceof S3Error) return e.code;
    throw e;
  }
}

describe("formBoundary", () => {
  it.each<[string | null, string | null]>([
    [`multipart/form-data; boundary=${B}`, B],
    ['Multipart/Form-Data; charset=utf-8; boundary="quoted b"', "quoted b"],
    ["application/x-www-form-urlencoded", null],
    ["multipart/form-data", null],
    [null, null],
  ])("%s -> %s", (ct, b) => expect(formBoundary(ct)).toBe(b));
});

it("indexOfBytes finds a pattern, or -1", () => {
  expect(indexOfBytes(enc.encode("ab\r\n--x\r\n--xy"), enc.encode("\r\n--xy"))).toBe(7);
  expect(indexOfBytes(enc.encode("abc"), enc.encode("abcd"))).toBe(-1);
});

describe("readForm", () => {
  const file = randomBytes(100_000);
  // A file made of "\r\n-" runs tempts a naive delimiter search.
  const tricky = Buffer.from(`\r\n--${B.slice(0, -1)}\r\n-\r\n--`.repeat(50));

  it.each([1, 7, 64, 65536])("reads fields and streams the file exactly, in %i-byte chunks", async (size) => {
    for (const content of [file, tricky, new Uint8Array(0)]) {
      const bytes = body([
        ["key", "uploads/${filename}"],
        ["x-amz-meta-color", "grün"],
        ["file", content, "a.png"],
      ]);
      const form = await readForm(streamOf(bytes, size), B, bytes.length, { maxPreFileBytes: 20480 });
      expect(form.fields).toEqual([
        ["key", "uploads/${filename}"],
        ["x-amz-meta-color", "grün"],
      ]);
      expect(form.file).toMatchObject({ filename: "a.png", contentType: "image/png", length: content.length });
      expect(Buffer.compare(await drain(form.file!.stream), Buffer.from(content))).toBe(0);
    }
  });

  it("returns no file when the form has none", async () => {
    const bytes = body([["key", "k"]]);
    expect(await readForm(streamOf(bytes, 10), B, bytes.length, { maxPreFileBytes: 20480 })).toEqual({ fields: [["key", "k"]], file: null });
  });

  it("fails the file stream when a field follows the file", async () => {
    const bytes = body([
      ["key", "k"],
      ["file", file, "a"],
      ["x-amz-meta-late", "v"],
    ]);
    const form = await readForm(streamOf(bytes, 4096), B, bytes.length, { maxPreFileBytes: 20480 });
    expect(await code(drain(form.file!.stream))).toBe("MalformedPOSTRequest");
  });

  it("fails the file stream when the body does not end with the closing boundary and CRLF", async () => {
    const bytes = body([["file", file, "a"]], `--${B}--`);
    const form = await readForm(streamOf(bytes, 4096), B, bytes.length, { maxPreFileBytes: 20480 });
    expect(await code(drain(form.file!.stream))).toBe("MalformedPOSTRequest");
  });

  it("refuses fields larger than the limit before the file", async () => {
    const bytes = body([
      ["policy", "p".repeat(30_000)],
      ["file", file, "a"],
    ]);
    expect(await code(readForm(streamOf(bytes, 1024), B, bytes.length, { maxPreFileBytes: 20480 }))).toBe("MaxPostPreDataLengthExceededError");
  });

  it.each([
    ["garbage", "not a form at all"],
    ["a part without Content-Disposition", `--${B}\r\nContent-Type: text/plain\r\n\r\nv\r\n--${B}--\r\n`],
    ["a truncated part", `--${B}\r\nContent-Disposition: form-data; name="key"\r\n\r\nva`],
  ])("MalformedPOSTRequest for %s", async (_, text) => {
    const bytes = enc.encode(text);
    expect(await code(readForm(streamOf(bytes, 5), B, bytes.length, { maxPreFileBytes: 20480 }))).toBe("MalformedPOSTRequest");
  });
});
