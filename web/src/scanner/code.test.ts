import { describe, expect, it } from "vitest";
import { KeyRing, decodeBase32, parseCode, verifyCode } from "./code";
import issued from "./fixtures/issued-code.json";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** The same code with one character of one part replaced. */
function withChar(code: string, index: number, replacement: string): string {
  return code.slice(0, index) + replacement + code.slice(index + 1);
}

describe("parseCode", () => {
  it("reads the issuer's fields from a code signed in Python", () => {
    const parsed = parseCode(issued.code);
    expect("claims" in parsed).toBe(true);
    if (!("claims" in parsed)) return;
    expect(parsed.kid).toBe("DEV");
    expect(parsed.claims).toEqual({ ...issued.claims, issuedAt: new Date(issued.claims.issuedAt) });
    expect(parsed.signed).toBe(issued.code.slice(0, issued.code.lastIndexOf(".")));
  });

  it("ignores surrounding whitespace and letter case (keyboard wedges with Caps Lock)", () => {
    const parsed = parseCode(`  ${issued.code.toLowerCase()}\n`);
    expect("claims" in parsed && parsed.claims.ticketId).toBe(issued.claims.ticketId);
  });

  it.each([
    ["an empty string", ""],
    ["a URL", "https://example.com/ticket/123"],
    ["three parts", issued.code.split(".").slice(0, 3).join(".")],
    ["five parts", `${issued.code}.AAAA`],
    ["a short payload", issued.code.replace("CF1.DEV.B", "CF1.DEV.")],
    ["a character outside base32", withChar(issued.code, 10, "1")],
    ["a bad key id", issued.code.replace("CF1.DEV.", "CF1.-DEV.")],
    ["input far too long", issued.code + " ".repeat(300)],
    ["non-ASCII", issued.code.replace("CF1", "CF１")],
  ])("refuses %s as malformed", (_, input) => {
    expect(parseCode(input)).toEqual({ reason: "malformed" });
  });

  it("tells another version of the format from garbage", () => {
    expect(parseCode(issued.code.replace("CF1.", "CF2."))).toEqual({ reason: "unsupported_version" });
  });

  it("accepts only the canonical spelling (spare bits of the last character zero)", () => {
    const [version, kid, payload = "", signature] = issued.code.split(".");
    const last = BASE32.indexOf(payload.at(-1) ?? "A");
    const respelled = payload.slice(0, -1) + BASE32[last | 1];
    expect(last & 1).toBe(0);
    expect(parseCode([version, kid, respelled, signature].join("."))).toEqual({ reason: "malformed" });
  });
});

describe("decodeBase32", () => {
  it("decodes RFC 4648 test vectors without padding", () => {
    expect(new TextDecoder().decode(decodeBase32("MZXW6YTBOI", 6) ?? undefined)).toBe("foobar");
    expect(new TextDecoder().decode(decodeBase32("MZXW6", 3) ?? undefined)).toBe("foo");
  });

  it("refuses a wrong length", () => {
    expect(decodeBase32("MZXW6YTBO", 6)).toBeNull();
  });
});

describe("verifyCode (WebCrypto Ed25519 against the manifest's keys)", () => {
  it("accepts a code signed by the issuer", async () => {
    const keyring = await KeyRing.fromJwks(issued.keys);
    const verdict = await verifyCode(issued.code, keyring);
    expect(verdict).toEqual({ ok: true, claims: { ...issued.claims, issuedAt: new Date(issued.claims.issuedAt) } });
  });

  it("refuses a code whose key id is not in the manifest, before any signature work", async () => {
    const keyring = await KeyRing.fromJwks(issued.keys);
    expect(await verifyCode(issued.code.replace("CF1.DEV.", "CF1.K2025A."), keyring)).toEqual({
      ok: false,
      reason: "unknown_kid",
    });
  });

  it("refuses every edited payload character as a bad signature", async () => {
    const keyring = await KeyRing.fromJwks(issued.keys);
    const start = "CF1.DEV.".length;
    // The last payload character carries spare bits; the others each change the payload's bytes.
    for (let index = start; index < start + 86; index += 1) {
      const current = issued.code[index] ?? "A";
      const edited = withChar(issued.code, index, current === "A" ? "B" : "A");
      expect((await verifyCode(edited, keyring)).ok, `character ${index}`).toBe(false);
    }
  });

  it("refuses a code forged with another key under the same key id", async () => {
    const forger = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const signed = issued.code.slice(0, issued.code.lastIndexOf("."));
    const signature = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, forger.privateKey, new TextEncoder().encode(signed)));
    let bits = 0;
    let value = 0;
    let text = "";
    for (const byte of signature) {
      value = (value << 8) | byte;
      bits += 8;
      while (bits >= 5) {
        text += BASE32[(value >> (bits - 5)) & 31];
        bits -= 5;
      }
      value &= (1 << bits) - 1;
    }
    text += BASE32[(value << (5 - bits)) & 31];
    const forged = `${signed}.${text}`;
    expect(parseCode(forged)).toHaveProperty("claims");
    expect(await verifyCode(forged, await KeyRing.fromJwks(issued.keys))).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("keeps only Ed25519 public keys from the manifest", async () => {
    const keyring = await KeyRing.fromJwks([
      ...issued.keys,
      { kty: "RSA", crv: "", kid: "RSA1", x: "" },
      { kty: "OKP", crv: "X25519", kid: "X1", x: issued.keys[0]?.x ?? "" },
    ]);
    expect(keyring.size).toBe(1);
  });
});
