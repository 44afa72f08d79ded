/**
 * Hex and base64 (RFC 4648 §4, and base64url §5 without padding): the one place bytes become text
 * and back. Decoders are strict and return null on anything that is not a valid encoding.
 */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Lowercase hex of the bytes. */
export function toHex(data: ArrayBuffer | Uint8Array): string {
  const b = data instanceof Uint8Array ? data : new Uint8Array(data);
  let s = "";
  for (let i = 0; i < b.length; i++) s += HEX[b[i]!];
  return s;
}

/** The runtime's native base64 (workerd has it; Node 20 does not). */
type NativeBase64 = { toBase64?: (this: Uint8Array) => string };
const nativeToBase64 = (Uint8Array.prototype as NativeBase64).toBase64;
const nativeFromBase64 = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array }).fromBase64;

/** Standard base64 with padding. */
export function toBase64(data: ArrayBuffer | Uint8Array): string {
  const b = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (nativeToBase64) return nativeToBase64.call(b);
  let s = "";
  // In slices: spreading a large array into fromCharCode overflows the call stack.
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

/** The bytes of standard base64 (padding optional, no whitespace); null when `s` is not base64. */
export function fromBase64(s: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.replace(/=+$/, "").length % 4 === 1) return null;
  try {
    return decodeTrustedBase64(s);
  } catch {
    return null;
  }
}

/**
 * The bytes of base64 this service wrote itself (an inline object's body in its D1 row): decoded
 * without fromBase64's checks, which cost more than the decoding (two regular expressions over the
 * whole text: a fifth of a 4 KiB inline GET's own CPU in a perf profile).
 */
export function decodeTrustedBase64(s: string): Uint8Array {
  if (nativeFromBase64) return nativeFromBase64(s);
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** base64url without padding (URL- and filename-safe). */
export function toBase64Url(data: Uint8Array): string {
  return toBase64(data).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The bytes of unpadded base64url; null when `s` is not base64url. */
export function fromBase64Url(s: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) return null;
  return fromBase64(s.replace(/-/g, "+").replace(/_/g, "/"));
}
