// The verdict this device gives when the server cannot be asked (docs/adr/0008-offline-door-scanning.md):
// a genuine signature for this event, not revoked and not already admitted as far as the device
// knows, is admitted; the server has the last word when the scan is synced.
import type { Verification } from "./code";
import type { Admission, Direction, ManifestTicket } from "./store";
import type { Verdict } from "./verdict";

export interface OfflineContext {
  eventId: string;
  direction: Direction;
  /** The ticket in the downloaded manifest; absent for a ticket sold after the last download. */
  ticket: ManifestTicket | undefined;
  /** This device's own earlier admission of the ticket. */
  admission: Admission | undefined;
}

export function decideOffline(verification: Verification, context: OfflineContext): Verdict {
  const base: Verdict = {
    result: "invalid",
    offline: true,
    ticketId: null,
    holderName: null,
    ticketType: null,
    childName: null,
    firstEntryAt: null,
    firstEntryGate: null,
    invalidReason: null,
  };
  if (!verification.ok) return { ...base, invalidReason: verification.reason };
  const { claims } = verification;
  if (claims.eventId !== context.eventId) return { ...base, result: "wrong_event", ticketId: claims.ticketId };
  const { ticket, admission } = context;
  const known: Verdict = {
    ...base,
    ticketId: claims.ticketId,
    holderName: ticket?.holder_name ?? null,
    ticketType: ticket?.ticket_type ?? null,
  };
  if (ticket?.status === "revoked") return { ...known, result: "revoked" };
  const entered = admission !== undefined || ticket?.status === "used";
  if (context.direction === "out") return { ...known, result: entered ? "exited" : "not_inside" };
  if (!entered) return { ...known, result: "admitted" };
  return {
    ...known,
    result: "already_used",
    firstEntryAt: admission?.at ?? null,
    firstEntryGate: admission?.gate ?? null,
  };
}
