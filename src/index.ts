/** Worker entry: the request pipeline, the cron trigger (which sends job messages) and the job queue's consumer. */
import type { Deps } from "./context";
import { readConfig, type Env } from "./env";
import { consumeJobs } from "./jobs/consumer";
import { runScheduledSweep } from "./jobs/cron";
import { handleRequest } from "./pipeline";
import { portalResponse } from "./portal/serve";
import { setupProblem } from "./setup-check";
import { BlobStore } from "./store/blobs-r2";
import { MetaStore } from "./store/d1";
import { countingDatabase, Subrequests } from "./store/subrequests";

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    return portalResponse(request, env) ?? handleRequest(request, env, ctx);
  },
  async scheduled(event: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    const deps = backgroundDeps(env, ctx);
    try {
      // The trigger's time, not the clock: lifecycle rules are judged as of the scheduled run.
      await runScheduledSweep(deps, event.scheduledTime);
    } catch (e) {
      // Not set up yet (no tables): nothing to sweep; say why instead of failing with a stack.
      const setup = setupProblem(e);
      if (!setup) throw e;
      console.warn(`scheduled sweep skipped: this sos-worker deployment is not set up: ${setup}`);
    }
  },
  async queue(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
    await consumeJobs(batch, () => backgroundDeps(env, ctx));
  },
} satisfies ExportedHandler<Env>;

/** The deps of one cron or queue invocation; its subrequests count against one budget, as the platform counts them. */
function backgroundDeps(env: Env, ctx: ExecutionContext): Deps {
  const config = readConfig(env);
  const subrequests = new Subrequests(config.subrequestBudget);
  return {
    env,
    config,
    meta: new MetaStore(countingDatabase(env.DB, subrequests)),
    blobs: new BlobStore(env, subrequests),
    subrequests,
    defer: (p) => ctx.waitUntil(p),
  };
}
