/**
 * Test-only Worker entry: the real Worker (src/index.ts) with its R2 bindings and its JOBS queue
 * producer wrapped, for the end-to-end tests of the job queue and the zone replicas.
 *
 * - Counts job messages: every message sent (after faults) is "in flight" until the consumer acks it,
 *   so GET /__jobs tells a test when the queue has settled (test/e2e/harness.ts `settleJobs`).
 * - Injects faults, set by POST /__faults (JSON, replacing the previous set; {} = none):
 *     r2:        { "<binding>": ["get", "put", "delete", "list"] | ["*"] }  those calls throw
 *     failSends: true   JOBS.send / sendBatch throw
 *     dropSends: true   JOBS sends resolve but deliver nothing (a message lost)
 *     duplicateSends: true   every message is delivered twice
 *   Faults apply to the fetch, scheduled and queue handlers alike (one isolate, one set of globals).
 */
import worker from "../../src/index";

type Faults = { r2?: Record<string, string[]>; failSends?: boolean; dropSends?: boolean; duplicateSends?: boolean };
let faults: Faults = {};
const jobs = { sent: 0, acked: 0, retried: 0, dropped: 0, sendFailures: 0 };

type Target = Record<string | symbol, unknown>;

function failing(binding: string, method: string): boolean {
  const methods = faults.r2?.[binding];
  return !!methods && (methods.includes("*") || methods.includes(method));
}

function bucket(name: string, b: Target): Target {
  return new Proxy(b, {
    get(target, prop) {
      const v = target[prop];
      if (typeof v !== "function" || typeof prop !== "string") return v;
      return (...args: unknown[]) => {
        if (failing(name, prop)) {
          // A put's body would otherwise wait forever for a reader.
          if (prop === "put" && args[1] instanceof ReadableStream) args[1].cancel().catch(() => {});
          return Promise.reject(new Error(`injected fault: ${name}.${prop}`));
        }
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

type Sendable = { body: unknown; contentType?: string };

function producer(q: Queue<unknown>): Queue<unknown> {
  const deliver = async (messages: Sendable[]): Promise<void> => {
    if (faults.failSends) {
      jobs.sendFailures += messages.length;
      throw new Error("injected fault: JOBS.send");
    }
    if (faults.dropSends) {
      jobs.dropped += messages.length;
      return;
    }
    const out = faults.duplicateSends ? messages.flatMap((m) => [m, m]) : messages;
    jobs.sent += out.length; // counted before the send resolves: a test never sees a sent message as settled
    try {
      await q.sendBatch(out as MessageSendRequest[]);
    } catch (e) {
      jobs.sent -= out.length;
      throw e;
    }
  };
  return {
    send: (body: unknown, opts?: { contentType?: string }) => deliver([{ body, contentType: opts?.contentType }]),
    sendBatch: (messages: Iterable<Sendable>) => deliver([...messages]),
  } as unknown as Queue<unknown>;
}

function wrap(env: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...env };
  for (const [name, binding] of Object.entries(env)) {
    if (name.startsWith("R2_")) out[name] = bucket(name, binding as Target);
    else if (name === "JOBS") out[name] = producer(binding as Queue<unknown>);
  }
  return out;
}

function counted(batch: MessageBatch<unknown>): MessageBatch<unknown> {
  const messages = batch.messages.map((m) => ({
    id: m.id,
    timestamp: m.timestamp,
    body: m.body,
    attempts: m.attempts,
    ack: () => {
      jobs.acked++;
      m.ack();
    },
    retry: (o?: QueueRetryOptions) => {
      jobs.retried++;
      m.retry(o);
    },
  }));
  const ackAll = () => {
    for (const m of messages) m.ack();
  };
  const retryAll = (o?: QueueRetryOptions) => {
    for (const m of messages) m.retry(o);
  };
  return { queue: batch.queue, messages, ackAll, retryAll } as unknown as MessageBatch<unknown>;
}

export default {
  async fetch(request: Request, env: Record<string, unknown>, ctx: ExecutionContext): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === "/__jobs") return Response.json({ ...jobs, inFlight: jobs.sent - jobs.acked });
    if (path === "/__faults" && request.method === "POST") {
      faults = (await request.json()) as Faults;
      return Response.json(faults);
    }
    return worker.fetch(request as never, wrap(env) as never, ctx as never);
  },
  scheduled(event: ScheduledController, env: Record<string, unknown>, ctx: ExecutionContext): Promise<void> {
    return worker.scheduled(event as never, wrap(env) as never, ctx as never);
  },
  queue(batch: MessageBatch<unknown>, env: Record<string, unknown>, ctx: ExecutionContext): Promise<void> {
    return worker.queue(counted(batch) as never, wrap(env) as never, ctx as never);
  },
};
