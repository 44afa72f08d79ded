// The raw R2 baseline: the fastest a Worker can move bytes through the R2 binding, with no
// authentication, no metadata and no S3 semantics. sos-worker's figures are ratios against it.
//
//   PUT  /<key>                        env.R2.put(key, request.body)
//   GET  /<key>                        env.R2.get(key)
//   GET  /?list&prefix=&delimiter=&start-after=&limit=   env.R2.list(...) as JSON
//   POST /<key>?uploads                env.R2.createMultipartUpload(key)
//   PUT  /<key>?uploadId=&partNumber=  upload.uploadPart(n, request.body)
//   POST /<key>?uploadId=              upload.complete(parts from the JSON body)
//   GET  /?count                       number of objects (list() page by page)
//   POST /?fill=N&width=W&concurrency=C  N zero-byte objects (listing data set), C puts in flight
//
// With ?d1, the floor of any design that keeps metadata in D1: one D1 statement beside the R2 call
// (table bench_objects, created by bench/workers.ts).
//   PUT  /<key>?d1                     env.R2.put(key, request.body), then one INSERT OR REPLACE of its row
//   GET  /<key>?d1                     one SELECT of its row, then env.R2.get(key)
//   GET  /?d1list&start-after=&limit=  one SELECT of a page of rows in key order, as JSON

/** Key i of the listing data set: `p0000/o00` style, `width` keys per prefix (bench/datasets.ts uses the same). */
const fillKey = (i, width) => `p${String(Math.floor(i / width)).padStart(4, "0")}/o${String(i % width).padStart(2, "0")}`;

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const q = url.searchParams;
    const key = decodeURIComponent(url.pathname.slice(1));
    const m = request.method;

    if (m === "GET" && key === "" && q.has("list")) {
      const page = await env.R2.list({
        prefix: q.get("prefix") ?? undefined,
        delimiter: q.get("delimiter") ?? undefined,
        startAfter: q.get("start-after") ?? undefined,
        limit: Number(q.get("limit") ?? 1000),
      });
      return Response.json({ keys: page.objects.map((o) => o.key), prefixes: page.delimitedPrefixes, truncated: page.truncated });
    }
    if (m === "GET" && key === "" && q.has("d1list")) {
      const { results } = await env.DB.prepare("SELECT key, size, etag, last_modified FROM bench_objects WHERE key > ? ORDER BY key LIMIT ?")
        .bind(q.get("start-after") ?? "", Number(q.get("limit") ?? 1000))
        .all();
      return Response.json({ keys: results.map((r) => r.key), prefixes: [] });
    }
    if (m === "PUT" && q.has("d1")) {
      const obj = await env.R2.put(key, request.body);
      await env.DB.prepare("INSERT OR REPLACE INTO bench_objects (key, size, etag, last_modified) VALUES (?, ?, ?, ?)")
        .bind(key, obj.size, obj.etag, Date.now())
        .run();
      return new Response(null, { headers: { etag: obj.httpEtag } });
    }
    if (m === "GET" && q.has("d1")) {
      const row = await env.DB.prepare("SELECT key, size, etag, last_modified FROM bench_objects WHERE key = ?").bind(key).first();
      if (!row) return new Response("no such key", { status: 404 });
      const obj = await env.R2.get(key);
      if (!obj) return new Response("no such blob", { status: 404 });
      return new Response(obj.body, { headers: { etag: `"${row.etag}"`, "content-length": String(obj.size) } });
    }
    if (m === "GET" && key === "" && q.has("count")) {
      let n = 0;
      let cursor;
      do {
        const page = await env.R2.list({ cursor, limit: 1000 });
        n += page.objects.length;
        cursor = page.truncated ? page.cursor : undefined;
      } while (cursor);
      return Response.json({ count: n });
    }
    if (m === "POST" && key === "" && q.has("fill")) {
      const n = Number(q.get("fill"));
      const width = Number(q.get("width") ?? 10);
      let next = 0;
      const writer = async () => {
        for (let i = next++; i < n; i = next++) await env.R2.put(fillKey(i, width), "");
      };
      await Promise.all(Array.from({ length: Number(q.get("concurrency") ?? 8) }, writer));
      return new Response(null, { status: 204 });
    }
    if (m === "POST" && q.has("uploads")) {
      const upload = await env.R2.createMultipartUpload(key);
      return Response.json({ uploadId: upload.uploadId });
    }
    if (m === "PUT" && q.has("uploadId")) {
      const upload = env.R2.resumeMultipartUpload(key, q.get("uploadId"));
      return Response.json(await upload.uploadPart(Number(q.get("partNumber")), request.body));
    }
    if (m === "POST" && q.has("uploadId")) {
      const upload = env.R2.resumeMultipartUpload(key, q.get("uploadId"));
      const obj = await upload.complete(await request.json());
      return new Response(null, { headers: { etag: obj.httpEtag } });
    }
    if (m === "PUT") {
      const obj = await env.R2.put(key, request.body);
      return new Response(null, { headers: { etag: obj.httpEtag } });
    }
    if (m === "GET") {
      const obj = await env.R2.get(key);
      if (!obj) return new Response("no such key", { status: 404 });
      return new Response(obj.body, { headers: { etag: obj.httpEtag, "content-length": String(obj.size) } });
    }
    return new Response("unsupported", { status: 400 });
  },
};
