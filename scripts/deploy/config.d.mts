// Types for the exports of scripts/deploy/config.mjs (used by test/deploy/config.test.ts).
export type Route = string | { pattern: string; custom_domain?: boolean; zone_name?: string };
export interface Bucket {
  zone: string;
  /** the zone's replica bucket (binding R2_<ZONE>_REPLICA) */
  replica?: boolean;
  binding: string;
  name: string;
  jurisdiction?: string;
  locationHint?: string;
}
export interface DeployConfig {
  configPath: string;
  projectDir: string;
  workerName: string;
  database: { binding: string; name: string; id?: string; locationHint?: string; jurisdiction?: string };
  buckets: Bucket[];
  queues: string[];
  assetsDirectory?: string;
  routes: Route[];
  baseDomain: string;
  /** the host names of SOS_ZONE_ENDPOINTS */
  zoneHosts: string[];
  workersDev: boolean;
}
export declare const LOCATION_HINTS: string[];
export declare function r2BindingName(zone: string): string;
export declare function parseLocationHints(text?: string, name?: string): Map<string, string>;
export declare function readDeployConfig(configPath: string): Promise<DeployConfig>;
export declare function routedHosts(deploy: Pick<DeployConfig, "baseDomain" | "routes"> & { zoneHosts?: string[] }): string[];
export declare function baseDomainArgs(deploy: Pick<DeployConfig, "baseDomain" | "routes"> & { zoneHosts?: string[] }): string[];
export declare function recordDatabaseId(configPath: string, binding: string, id: string): void;
