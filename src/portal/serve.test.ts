// Which requests the portal's assets answer: path-style /_portal on the service host, GET/HEAD only.
import { describe, expect, it } from "vitest";
import type { Env } from "../env";
import { portalResponse } from "./serve";

const asset = new Response("portal");
const served: string[] = [];
const ASSETS = {
  fetch: async (r: Request) => {
    served.push(new URL(r.url).pathname);
    return asset;
  },
};
const env = (extra: Partial<Env> = {}) => ({ ASSETS, SOS_BASE_DOMAIN: "s3.example.com", ...extra }) as unknown as Env;
const req = (url: string, method = "GET") => new Request(url, { method });

describe("portalResponse", () => {
  it("hands /_portal and /_portal/* on the service host to the assets", async () => {
    expect(await portalResponse(req("https://s3.example.com/_portal/"), env())).toBe(asset);
    expect(await portalResponse(req("https://s3.example.com/_portal"), env())).toBe(asset);
    expect(await portalResponse(req("https://s3.example.com/_portal/app.js", "HEAD"), env())).toBe(asset);
    expect(served).toEqual(["/_portal/", "/_portal", "/_portal/app.js"]);
  });

  it("leaves everything else to S3", () => {
    expect(portalResponse(req("https://s3.example.com/"), env())).toBeNull();
    expect(portalResponse(req("https://s3.example.com/_portalx/a"), env())).toBeNull();
    expect(portalResponse(req("https://s3.example.com/bucket/_portal/index.html"), env())).toBeNull();
    expect(portalResponse(req("https://s3.example.com/_portal/", "PUT"), env())).toBeNull();
    // A bucket's virtual host: "_portal/index.html" is an object key there.
    expect(portalResponse(req("https://photos.s3.example.com/_portal/index.html"), env())).toBeNull();
    // A bucket's virtual host under a zone endpoint's host name likewise.
    expect(
      portalResponse(
        req("https://photos.sos-de-fra-1.example.com/_portal/"),
        env({ SOS_ZONE_ENDPOINTS: "de-fra-1=sos-de-fra-1.example.com", SOS_ZONES: "ch-gva-2,de-fra-1" }),
      ),
    ).toBeNull();
    // No ASSETS binding (the end-to-end harness): no portal.
    expect(portalResponse(req("https://s3.example.com/_portal/"), { SOS_BASE_DOMAIN: "" } as unknown as Env)).toBeNull();
  });
});
