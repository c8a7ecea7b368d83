import { describe, expect, it } from "vitest";
import type { Verification } from "./code";
import { decideOffline, type OfflineContext } from "./decide";

const EVENT = "5d1e8f3a-7c2b-4e6d-8a9f-1b3c5d7e9f20";
const TICKET = "0b7c6c52-5f8e-4c4a-9d7e-2f6a1c3e9b10";
const genuine: Verification = {
  ok: true,
  claims: { ticketId: TICKET, eventId: EVENT, ticketTypeId: "t", issuedAt: new Date(0), serial: 0 },
};
const listed = { id: TICKET, ticket_type: "General", ticket_type_id: "t", holder_name: "Ana Pérez", status: "valid" as const };

function context(overrides: Partial<OfflineContext> = {}): OfflineContext {
  return { eventId: EVENT, direction: "in", ticket: listed, admission: undefined, ...overrides };
}

describe("decideOffline", () => {
  it("admits a genuine ticket of this event, with the holder from the manifest", () => {
    expect(decideOffline(genuine, context())).toMatchObject({
      result: "admitted",
      offline: true,
      holderName: "Ana Pérez",
      ticketType: "General",
    });
  });

  it("admits a genuine ticket sold after the last manifest (the server checks it at sync)", () => {
    expect(decideOffline(genuine, context({ ticket: undefined }))).toMatchObject({ result: "admitted", holderName: null });
  });

  it("says why a code is invalid", () => {
    expect(decideOffline({ ok: false, reason: "bad_signature" }, context())).toMatchObject({
      result: "invalid",
      invalidReason: "bad_signature",
    });
  });

  it("refuses another event's ticket", () => {
    const other: Verification = { ok: true, claims: { ...genuine.claims, eventId: "other" } } as Verification;
    expect(decideOffline(other, context()).result).toBe("wrong_event");
  });

  it("refuses a revoked ticket even if this device admitted it before", () => {
    const admission = { ticketId: TICKET, at: "2026-12-02T23:41:00Z", gate: "Puerta Norte" };
    expect(decideOffline(genuine, context({ ticket: { ...listed, status: "revoked" }, admission })).result).toBe("revoked");
  });

  it("says already used, with time and gate, when this device admitted the ticket", () => {
    const admission = { ticketId: TICKET, at: "2026-12-02T23:41:00Z", gate: "Puerta Norte" };
    expect(decideOffline(genuine, context({ admission }))).toMatchObject({
      result: "already_used",
      firstEntryAt: "2026-12-02T23:41:00Z",
      firstEntryGate: "Puerta Norte",
    });
  });

  it("says already used when the manifest says so, without a time it does not have", () => {
    expect(decideOffline(genuine, context({ ticket: { ...listed, status: "used" } }))).toMatchObject({
      result: "already_used",
      firstEntryAt: null,
    });
  });

  it("records an exit only for a ticket known to be in", () => {
    expect(decideOffline(genuine, context({ direction: "out" })).result).toBe("not_inside");
    expect(decideOffline(genuine, context({ direction: "out", ticket: { ...listed, status: "used" } })).result).toBe("exited");
  });
});
