// vitest globalSetup: builds the web portal once before any test file runs when it is stale, because
// wrangler.toml's [assets] directory (portal/dist) must exist for wrangler to read the configuration
// (unstable_getMiniflareWorkerOptions throws otherwise), and the portal tests serve it.
import { ensurePortalBuilt } from "../../scripts/build-portal.mjs";

export default async function setup(): Promise<void> {
  await ensurePortalBuilt();
}
