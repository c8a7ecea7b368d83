// Ticket codes, read and checked on the device (docs/adr/0006-ticket-qr-payload-format.md):
//   CF1.<kid>.<payload>.<signature>
// payload: base32 of 54 bytes (ticket id, event id, ticket type id: 16 bytes each; issued-at
// uint32; serial uint16), signature: base32 of the Ed25519 signature of "CF1.<kid>.<payload>".
// The same checks in the same order as the issuer's verifier, so a code means the same thing on
// a phone with no network as at the server.

export type InvalidReason = "malformed" | "unsupported_version" | "unknown_kid" | "bad_signature";

export interface TicketClaims {
  ticketId: string;
  eventId: string;
  ticketTypeId: string;
  issuedAt: Date;
  serial: number;
}

export type Verification = { ok: true; claims: TicketClaims } | { ok: false; reason: InvalidReason };

/** A public key of the manifest (RFC 8037 JWK). */
export interface PublicJwk {
  kty: string;
  crv: string;
  kid: string;
  x: string;
}

const VERSION = "CF1";
const PAYLOAD_BYTES = 54;
const SIGNATURE_BYTES = 64;
const KID_MAX_LENGTH = 16;
// Longer input is refused before any work; scanners may add whitespace, no more.
const MAX_INPUT_LENGTH = 3 + 1 + KID_MAX_LENGTH + 1 + 87 + 1 + 103 + 32;
const VERSION_SHAPE = /^CF[0-9]{1,3}$/;
const KID_PATTERN = /^[A-Z0-9](?:[A-Z0-9-]{0,14}[A-Z0-9])?$/;
const BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32Chars(bytes: number): number {
  return Math.ceil((bytes * 8) / 5);
}

/** Exactly `bytes` bytes of canonical unpadded base32 (spare bits zero), else null. */
export function decodeBase32(text: string, bytes: number): Uint8Array | null {
  if (text.length !== base32Chars(bytes)) return null;
  const out = new Uint8Array(bytes);
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (const char of text) {
    const value = BASE32_ALPHABET.indexOf(char);
    if (value < 0) return null;
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      if (index < bytes) out[index++] = (buffer >> bits) & 0xff;
    }
  }
  // What is left is the last character's spare bits: only the spelling with them zero is valid.
  if ((buffer & ((1 << bits) - 1)) !== 0) return null;
  return out;
}

function uuidOf(bytes: Uint8Array): string {
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface ParsedCode {
  kid: string;
  signed: string;
  signature: Uint8Array;
  claims: TicketClaims;
}

/** The parts of a code, or why it is not one; no signature check. */
export function parseCode(input: string): ParsedCode | { reason: "malformed" | "unsupported_version" } {
  if (input.length > MAX_INPUT_LENGTH) return { reason: "malformed" };
  const code = input.trim().toUpperCase();
  // eslint-disable-next-line no-control-regex
  if (!/^[\x00-\x7f]*$/.test(code)) return { reason: "malformed" };
  const [version = "", ...rest] = code.split(".");
  if (version !== VERSION) {
    return { reason: VERSION_SHAPE.test(version) ? "unsupported_version" : "malformed" };
  }
  if (rest.length !== 3) return { reason: "malformed" };
  const [kid = "", payloadText = "", signatureText = ""] = rest;
  if (!KID_PATTERN.test(kid)) return { reason: "malformed" };
  const payload = decodeBase32(payloadText, PAYLOAD_BYTES);
  const signature = decodeBase32(signatureText, SIGNATURE_BYTES);
  if (!payload || !signature) return { reason: "malformed" };
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return {
    kid,
    signed: code.slice(0, code.length - signatureText.length - 1),
    signature,
    claims: {
      ticketId: uuidOf(payload.subarray(0, 16)),
      eventId: uuidOf(payload.subarray(16, 32)),
      ticketTypeId: uuidOf(payload.subarray(32, 48)),
      issuedAt: new Date(view.getUint32(48) * 1000),
      serial: view.getUint16(52),
    },
  };
}

/** The manifest's public keys, imported once for WebCrypto, looked up by kid. */
export class KeyRing {
  private constructor(private readonly keys: Map<string, CryptoKey>) {}

  static async fromJwks(jwks: readonly PublicJwk[]): Promise<KeyRing> {
    const keys = new Map<string, CryptoKey>();
    for (const jwk of jwks) {
      if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || !jwk.kid || !jwk.x) continue;
      const key = await crypto.subtle.importKey(
        "jwk",
        { kty: jwk.kty, crv: jwk.crv, x: jwk.x },
        { name: "Ed25519" },
        false,
        ["verify"],
      );
      keys.set(jwk.kid, key);
    }
    return new KeyRing(keys);
  }

  get(kid: string): CryptoKey | undefined {
    return this.keys.get(kid);
  }

  get size(): number {
    return this.keys.size;
  }
}

/** Is this a genuine code? Shape, version, key id, then the Ed25519 signature. */
export async function verifyCode(input: string, keyring: KeyRing): Promise<Verification> {
  const parsed = parseCode(input);
  if ("reason" in parsed) return { ok: false, reason: parsed.reason };
  const key = keyring.get(parsed.kid);
  if (!key) return { ok: false, reason: "unknown_kid" };
  const genuine = await crypto.subtle.verify(
    { name: "Ed25519" },
    key,
    parsed.signature as Uint8Array<ArrayBuffer>,
    new TextEncoder().encode(parsed.signed),
  );
  return genuine ? { ok: true, claims: parsed.claims } : { ok: false, reason: "bad_signature" };
}
