import { describe, expect, it } from "vitest";
import { AccessDenied, EnrolmentError, enrolmentFromToken } from "./door";

/** A token as the enrolment link carries it; the page reads its claims, the server checks its signature. */
function token(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}.c2lnbmF0dXJl`;
}

const NOW = Date.parse("2026-12-02T20:00:00Z");
const claims = {
  sub: "device:1",
  role: "scanner",
  event_id: "5d1e8f3a-7c2b-4e6d-8a9f-1b3c5d7e9f20",
  device_id: "0b7c6c52-5f8e-4c4a-9d7e-2f6a1c3e9b10",
  exp: NOW / 1000 + 3600,
};

describe("enrolmentFromToken", () => {
  it("keeps the device, the event and the expiry of a device token", () => {
    expect(enrolmentFromToken(token(claims), NOW)).toEqual({
      token: token(claims),
      deviceId: claims.device_id,
      eventId: claims.event_id,
      expiresAt: claims.exp * 1000,
      eventName: null,
      gate: "",
      direction: "in",
    });
  });

  it("refuses an expired token as an access problem the screen explains", () => {
    expect(() => enrolmentFromToken(token({ ...claims, exp: NOW / 1000 - 1 }), NOW)).toThrow(AccessDenied);
  });

  it.each([
    ["a person's token (no device)", token({ ...claims, device_id: undefined })],
    ["a token without an event", token({ ...claims, event_id: undefined })],
    ["not a token at all", "hola"],
    ["a token whose claims are not JSON", "e30.bm90LWpzb24.c2ln"],
  ])("refuses %s", (_, value) => {
    expect(() => enrolmentFromToken(value, NOW)).toThrow(EnrolmentError);
  });
});
