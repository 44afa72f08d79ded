import { defineConfig } from "vitest/config";

// One run, three tiers: pure-module unit tests beside the code (src/**/*.test.ts), store tests
// (test/store: the D1 store against Miniflare's local D1 with the migrations applied, no Worker),
// and end-to-end tests that start the Worker in workerd (Miniflare) and talk to it over HTTP.
export default defineConfig({
  test: {
    environment: "node",
    include: ["src/**/*.test.ts", "portal/src/**/*.test.ts", "test/**/*.test.ts"],
    // The portal build (portal/dist) must exist before wrangler.toml can be read: see the file.
    globalSetup: ["test/support/portal-build.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Most test files spend their time waiting on workerd and real client processes, so two files at
    // a time keep two cores busy (vitest's default on a 2-core machine is one file at a time).
    maxWorkers: 2,
  },
});
