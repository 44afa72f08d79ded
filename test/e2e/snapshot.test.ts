/**
 * The store snapshot that refusal tests compare (test/support/snapshot.ts) sees what a request
 * changes: its statements are prepared once and run again for every snapshot, so a snapshot must
 * still read the rows and blobs as they are now, not as they were when first prepared.
 */
import { CreateBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, expect, it } from "vitest";
import { changes, r2Keys, snapshot } from "../support/snapshot";
import { STORAGE_LISTER_HOST } from "../support/worker";
import { startWorker, type Harness } from "./harness";

let h: Harness;
let s3: S3Client;
beforeAll(async () => {
  h = await startWorker({ SOS_INLINE_MAX_BYTES: "0" });
  s3 = h.client();
});
afterAll(() => h?.dispose());

it("a snapshot taken again sees new rows and new blobs; none taken twice in a row differ", async () => {
  const empty = await snapshot(h.mf);
  expect(changes(empty, await snapshot(h.mf))).toEqual([]);
  await s3.send(new CreateBucketCommand({ Bucket: "snap" }));
  const withBucket = await snapshot(h.mf);
  expect(changes(empty, withBucket)).toEqual(["D1 rows changed"]);
  await s3.send(new PutObjectCommand({ Bucket: "snap", Key: "k", Body: "bytes in a blob" }));
  const withObject = await snapshot(h.mf);
  const found = changes(withBucket, withObject);
  expect(found[0]).toBe("D1 rows changed");
  expect(found[1]).toMatch(/^new R2 blobs: R2_\w+:/);
  expect(changes(withObject, await snapshot(h.mf))).toEqual([]);
});

it("R2 keys come from the storage lister Worker beside sos-worker (one request), and match the R2 binding's own list", async () => {
  await s3.send(new PutObjectCommand({ Bucket: "snap", Key: "listed", Body: "more bytes" }));
  const listed = await h.mf.dispatchFetch(`http://${STORAGE_LISTER_HOST}/R2_CH_GVA_2`);
  expect(listed.headers.get("x-storage-lister")).toBe("1");
  const keys = (await listed.json()) as string[];
  expect(keys.length).toBeGreaterThanOrEqual(2);
  const page = await (await h.mf.getR2Bucket("R2_CH_GVA_2")).list();
  expect(keys).toEqual(page.objects.map((o) => o.key));
  expect(await r2Keys(h.mf, "R2_CH_GVA_2")).toEqual(keys);
});
