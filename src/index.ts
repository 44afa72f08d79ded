/** Worker entry: builds nothing but the request pipeline and the scheduled sweep. */
import type { Deps } from "./context";
import { readConfig, type Env } from "./env";
import { runScheduledSweep } from "./jobs/cron";
import { handleRequest } from "./pipeline";
import { BlobStore } from "./store/blobs-r2";
import { MetaStore } from "./store/meta-d1";

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    return handleRequest(request, env, ctx);
  },
  async scheduled(_event: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    const deps: Deps = { env, config: readConfig(env), meta: new MetaStore(env.DB), blobs: new BlobStore(env), defer: (p) => ctx.waitUntil(p) };
    await runScheduledSweep(deps);
  },
} satisfies ExportedHandler<Env>;
