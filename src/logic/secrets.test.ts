import { describe, expect, it } from "vitest";
import { decryptSecret, encryptSecret, generateKeyPair } from "./secrets";

describe("secrets at rest", () => {
  it("round-trips and never contains the plaintext", async () => {
    const enc = await encryptSecret("master", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    expect(enc).not.toContain("wJalrXUtnFEMI");
    expect(await decryptSecret("master", enc)).toBe("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  });
  it("uses a fresh IV each time and refuses the wrong master key", async () => {
    const a = await encryptSecret("master", "s");
    expect(a).not.toBe(await encryptSecret("master", "s"));
    await expect(decryptSecret("other", a)).rejects.toThrow();
  });
  it("generates S3-shaped key pairs", () => {
    const { accessKeyId, secretAccessKey } = generateKeyPair();
    expect(accessKeyId).toMatch(/^EXO[A-Z0-9]{24}$/);
    expect(secretAccessKey).toMatch(/^[A-Za-z0-9]{40}$/);
  });
});
