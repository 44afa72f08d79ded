/**
 * IPv4 and IPv6 addresses and CIDR blocks for `IpAddress` / `NotIpAddress` (RFC 4632, RFC 4291
 * section 2.2 text forms, RFC 4291 section 2.5.5.2 IPv4-mapped addresses). An address without a
 * prefix is the block of that one address, as IAM reads it.
 */
export type Ip = { v: 4 | 6; n: bigint };
export type Cidr = { v: 4 | 6; n: bigint; bits: number };

function parseV4(s: string): bigint | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    n = (n << 8n) | BigInt(Number(p));
  }
  return n;
}

function parseV6(s: string): bigint | null {
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  let groups: string[];
  let tailV4: bigint | null = null;
  const lastColon = s.lastIndexOf(":");
  if (s.slice(lastColon + 1).includes(".")) {
    tailV4 = parseV4(s.slice(lastColon + 1));
    if (tailV4 === null) return null;
    s = s.slice(0, lastColon + 1) + "0:0";
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] === "" ? [] : halves[0].split(":");
  const tail = halves.length === 2 ? (halves[1] === "" ? [] : halves[1].split(":")) : [];
  if (halves.length === 1) {
    groups = head;
    if (groups.length !== 8) return null;
  } else {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return null;
    groups = [...head, ...Array<string>(missing).fill("0"), ...tail];
  }
  let n = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  if (tailV4 !== null) n = (n & ~0xffffffffn) | tailV4;
  return n;
}

/** An address; an IPv4-mapped IPv6 address (::ffff:1.2.3.4) reads as the IPv4 address it carries. */
export function parseIp(s: string): Ip | null {
  const t = s.trim();
  if (t.includes(":")) {
    const n = parseV6(t);
    if (n === null) return null;
    if (n >> 32n === 0xffffn) return { v: 4, n: n & 0xffffffffn };
    return { v: 6, n };
  }
  const n = parseV4(t);
  return n === null ? null : { v: 4, n };
}

export function parseCidr(s: string): Cidr | null {
  const [addr, bitsText, extra] = s.trim().split("/");
  if (extra !== undefined) return null;
  const t = addr.trim();
  const v: 4 | 6 = t.includes(":") ? 6 : 4;
  const n = v === 6 ? parseV6(t) : parseV4(t);
  if (n === null) return null;
  const max = v === 4 ? 32 : 128;
  if (bitsText === undefined) return { v, n, bits: max };
  if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > max) return null;
  const bits = Number(bitsText);
  if (v === 6 && n >> 32n === 0xffffn && bits >= 96) return { v: 4, n: n & 0xffffffffn, bits: bits - 96 };
  return { v, n, bits };
}

export function cidrContains(block: Cidr, ip: Ip): boolean {
  if (block.v !== ip.v) return false;
  const width = BigInt(block.v === 4 ? 32 : 128);
  const shift = width - BigInt(block.bits);
  return block.n >> shift === ip.n >> shift;
}
