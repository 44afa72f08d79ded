#!/usr/bin/env node
// The HTTP front of `npm start`: a pass-through between S3 clients and workerd that adds what the
// Cloudflare edge does and local workerd does not.
//
// - `Expect: 100-continue` is answered at once with `100 Continue`. workerd never sends it, so boto3
//   and awscli would wait 1 s before every body and the JS SDK 6 s before every body over 2 MB.
// - Everything else goes through unchanged: request line, raw headers (names, case, order and
//   duplicates; minus that Expect), body and response, streamed both ways with backpressure. The
//   client's Host header is forwarded (setHost: false), so SigV4 and SigV2 signatures stay valid.
// - When the Worker answers before it has read the whole body (EntityTooLarge, a malformed
//   aws-chunked body, an oversized XML document, AccessDenied), the answer is delivered with
//   `Connection: close`, the rest of the body is read and discarded (for at most LINGER_MS, so the
//   client is not reset while it still sends and misses the answer), and the connection is closed.
//   workerd resets a connection whose body the Worker left unread, and an answer can get lost on
//   the way; then the request is sent once more with its headers only (see exchange()).
// - A client that goes away mid-request aborts only its own upstream request. No client can stop the
//   front: every socket and stream error ends one exchange, never the process.
//
// As a program (used by `npm run bench`):
//   node scripts/front.mjs --upstream http://127.0.0.1:PORT [--host 127.0.0.1] [--port 0]
// prints "front listening on http://HOST:PORT" and runs until SIGINT/SIGTERM.
import crypto from "node:crypto";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/** How long an early answer waits for the rest of the request body before the connection is closed anyway. */
export const LINGER_MS = 30_000;
/** workerd drops idle keep-alive connections after about 5 s; drop ours first so a reused one is never half-closed. */
const UPSTREAM_IDLE_MS = 4_000;
/**
 * Bodies up to this size are read whole before they go to workerd, so that they can go on a kept-alive
 * connection and be sent again when workerd closes that connection just then (a new connection per
 * request costs small PUTs a quarter of their rate). Larger bodies stream, on a fresh connection.
 */
const SMALL_BODY_BYTES = 1024 * 1024;
/** How long a request sent again without its body waits for the Worker's answer (see exchange). */
const REPLAY_TIMEOUT_MS = 10_000;
/** Response headers that describe the front-to-workerd connection, not the client's. */
const CONNECTION_HEADERS = new Set(["connection", "keep-alive"]);

const isContinue = (name, value) => name.toLowerCase() === "expect" && value.trim().toLowerCase() === "100-continue";

/** The request's raw headers as a flat [name, value, ...] list, without `Expect: 100-continue`. */
function forwardedHeaders(req) {
  const out = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (!isContinue(req.rawHeaders[i], req.rawHeaders[i + 1])) out.push(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  return out;
}

function responseHeaders(up, close) {
  const out = [];
  for (let i = 0; i < up.rawHeaders.length; i += 2) {
    if (!CONNECTION_HEADERS.has(up.rawHeaders[i].toLowerCase())) out.push(up.rawHeaders[i], up.rawHeaders[i + 1]);
  }
  if (close) out.push("Connection", "close");
  return out;
}

const hasBody = (req) => req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;
/** A body of at most SMALL_BODY_BYTES with a Content-Length: read whole, then sent on a kept-alive connection (and again if that fails). */
const isSmallBody = (req) => req.headers["transfer-encoding"] === undefined && hasBody(req) && Number(req.headers["content-length"]) <= SMALL_BODY_BYTES;

/** S3's retryable 503 as an S3 error document, for when workerd cannot be reached. */
function unavailableBody(err) {
  const id = crypto.randomBytes(8).toString("hex").toUpperCase();
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>ServiceUnavailable</Code>' +
    `<Message>The local Worker did not answer (${String(err.code ?? err.message).replace(/[<&>]/g, "")}).</Message>` +
    `<RequestId>${id}</RequestId></Error>`;
  return { id, body };
}

/**
 * Ends the response. If the client is still sending its body (the answer came early), the rest is
 * read and dropped first, for at most LINGER_MS: closing a socket with unread data resets it, and a
 * client that is still writing would lose the answer.
 */
function finish(req, res) {
  if (req.complete) return res.end();
  req.resume();
  const timer = setTimeout(() => res.end(), LINGER_MS);
  req.once("end", () => {
    clearTimeout(timer);
    res.end();
  });
}

/**
 * Starts the front on host:port (port 0 = any free port) in front of `upstream` (workerd's URL).
 * `stats` counts requests, `100 Continue` answers and replays; `log` gets one line per request when given.
 */
export async function startFront({ upstream, host = "127.0.0.1", port = 0, log }) {
  const target = new URL(upstream);
  const agent = new http.Agent({ keepAlive: true, timeout: UPSTREAM_IDLE_MS, scheduling: "lifo" });
  const stats = { requests: 0, continues: 0, earlyAnswers: 0, replays: 0, upstreamErrors: 0 };

  /**
   * One client request, sent upstream once or, when workerd drops the connection before answering,
   * again: "retry" (nothing of the body was sent yet) or "headers-only".
   *
   * Why "headers-only": when the Worker refuses a body it has not read to the end (EntityTooLarge,
   * MaxMessageLength, AccessDenied: decisions taken on the headers), workerd closes the connection
   * with body bytes still unread, which resets it, and the answer written just before can be lost
   * while the body is still streaming in. Sent again with the same (signed) headers and no body
   * bytes, the request gets the same answer with nothing unread in the way. A Worker that would
   * rather read the body gets none and the request ends as a 503 after REPLAY_TIMEOUT_MS; nothing
   * is stored either way.
   */
  function exchange(req, res) {
    const started = performance.now();
    let upReq;
    let body; // the whole body of a small request, once read
    // The client left before the exchange ended (mid-body or mid-response): abort its upstream request.
    res.on("close", () => {
      if (!res.writableFinished) upReq?.destroy();
    });
    req.on("error", () => upReq?.destroy());

    const send = (mode) => {
      // A streamed body goes on a fresh connection: on a kept-alive one that workerd closes just then it could not be sent again.
      const resendable = !hasBody(req) || body !== undefined;
      const pooled = resendable && !mode;
      upReq = http.request({
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: forwardedHeaders(req),
        setHost: false,
        agent: pooled ? agent : false,
      });
      const thisReq = upReq;
      let answered = false;
      const replayTimer =
        mode === "headers-only"
          ? setTimeout(() => thisReq.destroy(Object.assign(new Error("no answer without the body"), { code: "ETIMEDOUT" })), REPLAY_TIMEOUT_MS)
          : undefined;

      thisReq.on("response", (up) => {
        answered = true;
        clearTimeout(replayTimer);
        // The Worker answered before the body was complete (or never got it): it will not read the rest.
        const early = mode === "headers-only" || !req.complete;
        if (early) {
          stats.earlyAnswers++;
          req.unpipe(thisReq);
        }
        res.writeHead(up.statusCode, up.statusMessage, responseHeaders(up, early));
        up.pipe(res, { end: false });
        up.on("end", () => {
          if (log)
            log(
              `${req.method} ${req.url} ${up.statusCode} ${(performance.now() - started).toFixed(1)} ms${early ? " (answered before the body ended)" : ""}${mode ? ` (${mode})` : ""}`,
            );
          if (early) thisReq.destroy(); // its request body is unfinished: the socket cannot be reused
          finish(req, res);
        });
        up.on("error", () => res.destroy());
        up.on("aborted", () => res.destroy());
      });

      thisReq.on("error", (err) => {
        clearTimeout(replayTimer);
        if (answered || res.destroyed) return res.destroy(); // mid-response, or the client left and we aborted
        const dropped = err.code === "ECONNRESET" || err.code === "EPIPE";
        req.unpipe(thisReq);
        // A kept-alive connection workerd closed at the same moment (or a small body's connection dropped): send again, on a fresh connection.
        if (!mode && dropped && resendable && (thisReq.reusedSocket || body !== undefined)) return send("retry");
        // workerd dropped the connection while the body streamed in: ask again without the body.
        if (!mode && dropped && hasBody(req)) {
          stats.replays++;
          req.resume(); // the rest of the body is not needed any more
          return send("headers-only");
        }
        stats.upstreamErrors++;
        if (log) log(`${req.method} ${req.url}: upstream error ${err.code ?? err.message}`);
        if (res.headersSent) return res.destroy();
        // (Not `body`: that name is the request body the resend above tests.)
        const { id, body: errorXml } = unavailableBody(err);
        res.writeHead(503, { "Content-Type": "application/xml", "Content-Length": Buffer.byteLength(errorXml), "x-amz-request-id": id, Connection: "close" });
        res.write(errorXml);
        finish(req, res);
      });

      if (mode === "headers-only") {
        // Headers, then end of input: the Worker's body reads end at once instead of waiting for bytes that never come.
        thisReq.flushHeaders();
        thisReq.once("socket", (socket) => socket.once("connect", () => setImmediate(() => socket.end())));
      } else if (body !== undefined) thisReq.end(body);
      else req.pipe(thisReq);
    };
    if (!isSmallBody(req)) return send(undefined);
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      body = Buffer.concat(chunks);
      send(undefined);
    });
  }

  const server = http.createServer(
    {
      requestTimeout: 0, // a multi-GB upload may take longer than Node's default 300 s
      keepAliveTimeout: 60_000, // idle client connections stay open, as on the edge, so SDK pools rarely race a close
    },
    (req, res) => {
      stats.requests++;
      exchange(req, res);
    },
  );
  server.on("checkContinue", (req, res) => {
    stats.requests++;
    stats.continues++;
    res.writeContinue();
    exchange(req, res);
  });
  // Other expectations are the Worker's business; Node would answer 417 by itself.
  server.on("checkExpectation", (req, res) => {
    stats.requests++;
    exchange(req, res);
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address();
  return {
    server,
    stats,
    port: bound.port,
    url: `http://${host}:${bound.port}`,
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      });
    },
  };
}

async function main() {
  const { values } = parseArgs({
    options: { upstream: { type: "string" }, host: { type: "string", default: "127.0.0.1" }, port: { type: "string", default: "0" } },
  });
  if (!values.upstream) throw new Error("--upstream URL is required");
  const front = await startFront({ upstream: values.upstream, host: values.host, port: Number(values.port) });
  console.log(`front listening on ${front.url}`);
  const stop = () => front.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`front: ${e?.message ?? e}`);
    process.exit(1);
  });
}
