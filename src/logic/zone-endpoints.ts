/**
 * Zone endpoints, as SOS has them (`sos-<zone>.exo.io`): a host name per zone, configured in
 * SOS_ZONE_ENDPOINTS as `zone=host,zone=host`. A request whose Host is a zone's host name (or
 * `<bucket>.<host>`, virtual-host style) is "on that zone's endpoint"; any other host is the generic
 * endpoint, which serves every zone. docs/zones.md says what each endpoint answers.
 */

export type ZoneEndpoint = { zone: string; host: string };

/** Host names are compared lower-cased, without a port. */
const HOST = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;

/** Parses SOS_ZONE_ENDPOINTS; a zone that is not served, a bad or repeated host name, or a zone named twice is a configuration error. */
export function parseZoneEndpoints(raw: string | undefined, zones: readonly string[]): ZoneEndpoint[] {
  const out: ZoneEndpoint[] = [];
  for (const entry of (raw ?? "").split(",")) {
    if (entry.trim() === "") continue;
    const eq = entry.indexOf("=");
    const zone = entry.slice(0, eq).trim();
    const host = entry
      .slice(eq + 1)
      .trim()
      .toLowerCase();
    if (eq <= 0 || !HOST.test(host)) throw new Error(`SOS_ZONE_ENDPOINTS: "${entry.trim()}" is not zone=host`);
    if (!zones.includes(zone)) throw new Error(`SOS_ZONE_ENDPOINTS: zone ${zone} is not in SOS_ZONES`);
    if (out.some((e) => e.zone === zone || e.host === host)) throw new Error(`SOS_ZONE_ENDPOINTS: ${zone} or ${host} is named twice`);
    out.push({ zone, host });
  }
  return out;
}

/** The zone whose endpoint `hostname` is (the zone host itself or `<bucket>.<zone host>`); null = the generic endpoint. */
export function zoneOfHost(hostname: string, endpoints: readonly ZoneEndpoint[]): string | null {
  const host = hostname.toLowerCase();
  let best: ZoneEndpoint | null = null;
  for (const e of endpoints) {
    if (host !== e.host && !host.endsWith("." + e.host)) continue;
    if (!best || e.host.length > best.host.length) best = e;
  }
  return best?.zone ?? null;
}

/** The host name a client should use for `zone`'s buckets (the Endpoint of a PermanentRedirect); undefined when the zone has none. */
export function hostOfZone(zone: string, endpoints: readonly ZoneEndpoint[]): string | undefined {
  return endpoints.find((e) => e.zone === zone)?.host;
}
