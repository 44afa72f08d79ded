import { describe, expect, it } from "vitest";
import { hostOfZone, parseZoneEndpoints, zoneOfHost } from "./zone-endpoints";

const ZONES = ["ch-gva-2", "de-fra-1"];

describe("SOS_ZONE_ENDPOINTS", () => {
  it("parses zone=host pairs, lower-casing hosts and ignoring blanks", () => {
    expect(parseZoneEndpoints(" ch-gva-2=SOS-CH-GVA-2.example.com, ,de-fra-1=sos-de-fra-1.example.com ", ZONES)).toEqual([
      { zone: "ch-gva-2", host: "sos-ch-gva-2.example.com" },
      { zone: "de-fra-1", host: "sos-de-fra-1.example.com" },
    ]);
    expect(parseZoneEndpoints(undefined, ZONES)).toEqual([]);
  });

  it("refuses unknown zones, malformed entries, hosts with ports or schemes, and repeats", () => {
    for (const bad of ["mars-1=x.example.com", "ch-gva-2", "=x.example.com", "ch-gva-2=x.example.com:8443", "ch-gva-2=https://x.example.com"]) {
      expect(() => parseZoneEndpoints(bad, ZONES), bad).toThrow(/SOS_ZONE_ENDPOINTS/);
    }
    expect(() => parseZoneEndpoints("ch-gva-2=a.example.com,ch-gva-2=b.example.com", ZONES)).toThrow(/named twice/);
    expect(() => parseZoneEndpoints("ch-gva-2=a.example.com,de-fra-1=a.example.com", ZONES)).toThrow(/named twice/);
  });

  it("finds the zone of a host, virtual-host style included, the longest host winning", () => {
    const endpoints = parseZoneEndpoints("ch-gva-2=example.com,de-fra-1=fra.example.com", ZONES);
    expect(zoneOfHost("EXAMPLE.com", endpoints)).toBe("ch-gva-2");
    expect(zoneOfHost("bucket.example.com", endpoints)).toBe("ch-gva-2");
    expect(zoneOfHost("fra.example.com", endpoints)).toBe("de-fra-1");
    expect(zoneOfHost("bucket.fra.example.com", endpoints)).toBe("de-fra-1");
    expect(zoneOfHost("notexample.com", endpoints)).toBeNull();
    expect(zoneOfHost("127.0.0.1", endpoints)).toBeNull();
    expect(hostOfZone("de-fra-1", endpoints)).toBe("fra.example.com");
    expect(hostOfZone("at-vie-1", endpoints)).toBeUndefined();
  });
});
