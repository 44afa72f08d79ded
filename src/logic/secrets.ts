/**
 * Access-key secrets at rest: AES-256-GCM under a key derived (HKDF-SHA-256) from the
 * SOS_MASTER_KEY Worker secret. D1 stores base64(iv || ciphertext); plaintext never leaves memory.
 */
import { fromBase64, toBase64, toHex } from "./encoding";

const te = new TextEncoder();
const td = new TextDecoder();

const keyCache = new Map<string, Promise<CryptoKey>>();

function secretsKey(masterKey: string): Promise<CryptoKey> {
  let k = keyCache.get(masterKey);
  if (!k) {
    k = crypto.subtle
      .importKey("raw", te.encode(masterKey), "HKDF", false, ["deriveKey"])
      .then((base) =>
        crypto.subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: te.encode("sos-worker"), info: te.encode("access-key-secrets") },
          base,
          { name: "AES-GCM", length: 256 },
          false,
          ["encrypt", "decrypt"],
        ),
      );
    keyCache.set(masterKey, k);
  }
  return k;
}

export async function encryptSecret(masterKey: string, secret: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await secretsKey(masterKey), te.encode(secret)));
  const out = new Uint8Array(iv.length + ct.length);
  out.set(iv);
  out.set(ct, iv.length);
  return toBase64(out);
}

export async function decryptSecret(masterKey: string, stored: string): Promise<string> {
  const bytes = fromBase64(stored)!;
  const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: bytes.slice(0, 12) }, await secretsKey(masterKey), bytes.slice(12));
  return td.decode(pt);
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** A new access key id ("EXO" + 24 upper-case alphanumerics) and 40-character secret. */
export function generateKeyPair(): { accessKeyId: string; secretAccessKey: string } {
  const idBytes = crypto.getRandomValues(new Uint8Array(24));
  const accessKeyId = "EXO" + [...idBytes].map((b) => ALNUM[b % ALNUM.length]).join("");
  const secretAccessKey = toBase64(crypto.getRandomValues(new Uint8Array(30)))
    .replace(/\+/g, "A")
    .replace(/\//g, "B");
  return { accessKeyId, secretAccessKey };
}

/** Random lowercase hex id of `bytes` bytes (canonical user ids are 32 bytes). */
export function randomHex(bytes: number): string {
  return toHex(crypto.getRandomValues(new Uint8Array(bytes)));
}
