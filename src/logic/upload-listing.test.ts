import { describe, expect, it } from "vitest";
import { compareUtf8 } from "./pagination";
import { listUploadsPage, type UploadCursor } from "./upload-listing";

type U = { key: string; id: string };

/** An in-memory multipart_uploads table read the way MetaStore.listings.listUploads reads it; counts rows read. */
function table(rows: U[], prefix = "") {
  const sorted = [...rows].sort((a, b) => compareUtf8(a.key, b.key) || compareUtf8(a.id, b.id));
  const stats = { rowsRead: 0, reads: 0 };
  const read = async (c: UploadCursor & { limit: number }) => {
    stats.reads++;
    const out = sorted
      .filter((u) => u.key.startsWith(prefix))
      .filter(
        (u) =>
          c.keyMarker === undefined ||
          compareUtf8(u.key, c.keyMarker) > 0 ||
          (c.uploadIdMarker !== undefined && u.key === c.keyMarker && compareUtf8(u.id, c.uploadIdMarker) > 0),
      )
      .filter((u) => c.from === undefined || compareUtf8(u.key, c.from) >= 0)
      .slice(0, c.limit);
    stats.rowsRead += out.length;
    return out;
  };
  return { read, stats };
}

const rows: U[] = [
  { key: "a/1", id: "01" },
  { key: "a/2", id: "02" },
  { key: "b", id: "03" },
  { key: "c", id: "04" },
  { key: "c", id: "05" },
  { key: "d/x/y", id: "06" },
];

describe("listUploadsPage", () => {
  it("lists in key, then upload id, order", async () => {
    const page = await listUploadsPage(table(rows).read, { prefix: "", maxUploads: 1000 });
    expect(page.uploads.map((u) => u.id)).toEqual(["01", "02", "03", "04", "05", "06"]);
    expect(page.isTruncated).toBe(false);
  });

  it("truncates at max-uploads and names the last upload as the next markers", async () => {
    const page = await listUploadsPage(table(rows).read, { prefix: "", maxUploads: 4 });
    expect(page.uploads.map((u) => u.id)).toEqual(["01", "02", "03", "04"]);
    expect(page).toMatchObject({ isTruncated: true, next: { key: "c", uploadId: "04" } });
    const rest = await listUploadsPage(table(rows).read, { prefix: "", keyMarker: "c", uploadIdMarker: "04", maxUploads: 4 });
    expect(rest.uploads.map((u) => u.id)).toEqual(["05", "06"]);
    expect(rest.isTruncated).toBe(false);
  });

  it("is not truncated when the page ends exactly at the last upload", async () => {
    const page = await listUploadsPage(table(rows).read, { prefix: "", maxUploads: 6 });
    expect(page.isTruncated).toBe(false);
  });

  it("key-marker alone skips every upload of that key", async () => {
    const page = await listUploadsPage(table(rows).read, { prefix: "", keyMarker: "c", maxUploads: 10 });
    expect(page.uploads.map((u) => u.id)).toEqual(["06"]);
  });

  it("rolls keys up by delimiter, and a common-prefix marker resumes after the whole prefix", async () => {
    const first = await listUploadsPage(table(rows).read, { prefix: "", delimiter: "/", maxUploads: 1 });
    expect(first).toMatchObject({ commonPrefixes: ["a/"], uploads: [], isTruncated: true, next: { key: "a/" } });
    expect(first.next?.uploadId).toBeUndefined();
    const second = await listUploadsPage(table(rows).read, { prefix: "", delimiter: "/", keyMarker: "a/", maxUploads: 1 });
    expect(second.uploads.map((u) => u.key)).toEqual(["b"]);
    const tail = await listUploadsPage(table(rows).read, { prefix: "", delimiter: "/", keyMarker: "c", uploadIdMarker: "05", maxUploads: 10 });
    expect(tail.commonPrefixes).toEqual(["d/"]);
    expect(tail.isTruncated).toBe(false);
  });

  it("seeks past a common prefix holding thousands of uploads instead of reading them all", async () => {
    const many: U[] = Array.from({ length: 5000 }, (_, i) => ({ key: `big/${String(i).padStart(5, "0")}`, id: String(i).padStart(5, "0") }));
    const t = table([...many, { key: "z", id: "99999" }]);
    const page = await listUploadsPage(t.read, { prefix: "", delimiter: "/", maxUploads: 10 });
    expect(page.commonPrefixes).toEqual(["big/"]);
    expect(page.uploads.map((u) => u.key)).toEqual(["z"]);
    expect(t.stats.rowsRead).toBeLessThanOrEqual(1001);
  });

  it("max-uploads 0 returns nothing", async () => {
    expect(await listUploadsPage(table(rows).read, { prefix: "", maxUploads: 0 })).toMatchObject({ uploads: [], isTruncated: false });
  });
});
