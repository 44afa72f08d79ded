import { describe, expect, it } from "vitest";
import { S3Error } from "../errors";
import { corsConfigurationDocument, parseCorsConfiguration } from "./cors";

const NS = "http://s3.amazonaws.com/doc/2006-03-01/";
const doc = (...rules: string[]) => `<CORSConfiguration xmlns="${NS}">${rules.map((r) => `<CORSRule>${r}</CORSRule>`).join("")}</CORSConfiguration>`;
const MIN = "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>";

describe("parseCorsConfiguration", () => {
  it("reads every element, in any order", () => {
    const xml = doc(
      "<MaxAgeSeconds>3000</MaxAgeSeconds><ID>web</ID><AllowedMethod>PUT</AllowedMethod><AllowedOrigin>https://a.test</AllowedOrigin>" +
        "<AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><AllowedMethod>GET</AllowedMethod>",
      MIN,
    );
    expect(parseCorsConfiguration(xml)).toEqual([
      { id: "web", allowedOrigins: ["https://a.test"], allowedMethods: ["PUT", "GET"], allowedHeaders: ["*"], exposeHeaders: ["ETag"], maxAgeSeconds: 3000 },
      { allowedOrigins: ["*"], allowedMethods: ["GET"], allowedHeaders: [], exposeHeaders: [] },
    ]);
  });

  it.each([
    ["an empty body", ""],
    ["another root", `<CORS><CORSRule>${MIN}</CORSRule></CORS>`],
    ["an unknown element in a rule", doc(MIN + "<AllowedHeaders>*</AllowedHeaders>")],
    ["an unknown element next to rules", `<CORSConfiguration><CORSRule>${MIN}</CORSRule><Owner/></CORSConfiguration>`],
    ["MaxAgeSeconds that is not a number", doc(MIN + "<MaxAgeSeconds>1h</MaxAgeSeconds>")],
    ["MaxAgeSeconds above 32 bits", doc(MIN + "<MaxAgeSeconds>2147483648</MaxAgeSeconds>")],
    ["MaxAgeSeconds twice", doc(MIN + "<MaxAgeSeconds>1</MaxAgeSeconds><MaxAgeSeconds>1</MaxAgeSeconds>")],
    ["two IDs", doc(MIN + "<ID>a</ID><ID>b</ID>")],
    ["a 256-character ID", doc(MIN + `<ID>${"x".repeat(256)}</ID>`)],
    ["an element inside a value", doc("<AllowedOrigin><X/></AllowedOrigin><AllowedMethod>GET</AllowedMethod>")],
  ])("MalformedXML for %s", (_, xml) => {
    expect(() => parseCorsConfiguration(xml)).toThrowError(S3Error);
    try {
      parseCorsConfiguration(xml);
    } catch (e) {
      expect((e as S3Error).code).toBe("MalformedXML");
    }
  });
});

describe("corsConfigurationDocument", () => {
  it("renders the golden document and round-trips", () => {
    const rules = [
      { id: "web", allowedOrigins: ["https://a.test"], allowedMethods: ["GET", "PUT"], allowedHeaders: ["*"], exposeHeaders: ["ETag"], maxAgeSeconds: 60 },
      { allowedOrigins: ["*"], allowedMethods: ["HEAD"], allowedHeaders: [], exposeHeaders: [] },
    ];
    const xml = corsConfigurationDocument(rules);
    expect(xml).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<CORSConfiguration xmlns="${NS}">` +
        "<CORSRule><ID>web</ID><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedOrigin>https://a.test</AllowedOrigin>" +
        "<AllowedHeader>*</AllowedHeader><MaxAgeSeconds>60</MaxAgeSeconds><ExposeHeader>ETag</ExposeHeader></CORSRule>" +
        "<CORSRule><AllowedMethod>HEAD</AllowedMethod><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>",
    );
    expect(parseCorsConfiguration(xml)).toEqual(rules);
  });
});
