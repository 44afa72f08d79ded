/** Small response helpers shared by the operation handlers. */
import { renderXml } from "../xml/xml";

export function xmlResponse(xml: string, init: ResponseInit = {}): Response {
  const headers = new Headers(init.headers);
  headers.set("content-type", "application/xml");
  return new Response(xml, { ...init, headers });
}

/** Renders a typed document body under `root` and answers it. */
export function xmlDocResponse(root: string, body: Record<string, unknown>, init: ResponseInit = {}): Response {
  return xmlResponse(renderXml(root, body as never), init);
}

export const quoteEtag = (etag: string) => `"${etag}"`;

export function unquoteEtag(etag: string): string {
  const t = etag.trim();
  return t.startsWith('"') && t.endsWith('"') && t.length >= 2 ? t.slice(1, -1) : t;
}

export const httpDate = (ms: number) => new Date(ms).toUTCString();

export const empty = (status = 200, headers: HeadersInit = {}) => new Response(null, { status, headers });
