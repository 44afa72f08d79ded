import { describe, expect, it } from "vitest";
import { cidrContains, parseCidr, parseIp } from "./ip";

const contains = (cidr: string, ip: string) => cidrContains(parseCidr(cidr)!, parseIp(ip)!);

describe("IP blocks", () => {
  it.each([
    ["192.0.2.0/24", "192.0.2.77", true],
    ["192.0.2.0/24", "192.0.3.1", false],
    ["192.0.2.5", "192.0.2.5", true], // no prefix: the one address
    ["192.0.2.5", "192.0.2.6", false],
    ["0.0.0.0/0", "203.0.113.9", true],
    ["10.0.0.0/8", "10.255.255.255", true],
    ["10.0.0.0/8", "11.0.0.0", false],
    ["2001:db8::/32", "2001:db8:1234::1", true],
    ["2001:db8::/32", "2001:db9::1", false],
    ["2001:db8::1", "2001:0db8:0000:0000:0000:0000:0000:0001", true],
    ["::/0", "::1", true],
    ["192.0.2.0/24", "::ffff:192.0.2.1", true], // IPv4-mapped reads as IPv4
    ["::ffff:192.0.2.0/120", "192.0.2.200", true],
    ["192.0.2.0/24", "2001:db8::1", false], // families never mix
    ["2001:db8::/32", "192.0.2.1", false],
    ["fe80::/10", "fe80::1%eth0", true],
  ])("%s contains %s = %s", (cidr, ip, expected) => expect(contains(cidr, ip)).toBe(expected));

  it.each(["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4/33", "2001:db8::/129", "1::2::3", "12345::", "a.b.c.d", "1.2.3.4/x", "1.2.3.4/8/8"])(
    "refuses %j as a block",
    (s) => expect(parseCidr(s)).toBeNull(),
  );
  it("refuses a malformed address", () => {
    expect(parseIp("not-an-ip")).toBeNull();
    expect(parseIp("1:2:3:4:5:6:7:8:9")).toBeNull();
  });
});
