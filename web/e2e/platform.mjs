// The platform as the browser tests use it: Supabase logins, an event published and tickets
// bought and paid through the gateway (the Mercado Pago emulator approves the payment), door
// devices registered. The same journeys as tests-e2e, spoken from Node.
import assert from "node:assert/strict";

export const GATEWAY = process.env.GATEWAY_URL ?? "http://localhost:8000";
const SUPABASE = process.env.SUPABASE_URL ?? "http://localhost:8300";
const MERCADO_PAGO = process.env.MP_EMULATOR_URL ?? "http://localhost:8200";
const SEED_PASSWORD = "crowdify";

export async function waitUntil(check, { within = 30_000, every = 250, message = "condition" } = {}) {
  const deadline = Date.now() + within;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${message}`);
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}

export async function api(method, path, { token, body, headers = {}, expect } = {}) {
  const response = await fetch(`${GATEWAY}${path}`, {
    method,
    headers: {
      Accept: "application/json",
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (expect !== undefined) assert.equal(response.status, expect, `${method} ${path}: ${text}`);
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

export async function login(email) {
  const response = await fetch(`${SUPABASE}/auth/v1/token?grant_type=password`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, password: SEED_PASSWORD }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()).access_token;
}

export async function publishEvent(admin) {
  const starts = new Date(Date.now() + 15 * 24 * 3600 * 1000).toISOString();
  const name = `Cumbia en la Puerta ${crypto.randomUUID().slice(0, 6)}`;
  const event = await api("POST", "/api/v1/events", {
    token: admin,
    body: { name, venue: "Parque Bustamante", city: "Santiago", starts_at: starts },
    expect: 201,
  });
  const type = await api("POST", `/api/v1/events/${event.body.id}/ticket-types`, {
    token: admin,
    body: { name: "General", price: 12000, capacity: 20 },
    expect: 201,
  });
  await api("POST", `/api/v1/events/${event.body.id}/publish`, { token: admin, expect: 200 });
  return { eventId: event.body.id, eventName: name, typeId: type.body.id };
}

/** Order and pay one ticket per attendee; returns them with their signed codes. */
export async function buyTickets(buyer, eventId, typeId, attendees) {
  const quantity = attendees.length;
  const placed = await api("POST", "/api/v1/purchases?wait=10", {
    token: buyer,
    headers: { "Idempotency-Key": crypto.randomUUID() },
    body: {
      event_id: eventId,
      // No address: the emails go to the verified address of the buyer's account.
      buyer: { name: "Ana Pérez" },
      items: [{ ticket_type_id: typeId, quantity, attendees }],
    },
    expect: 201,
  });
  assert.equal(placed.body.status, "awaiting_payment", JSON.stringify(placed.body));
  const preference = placed.body.payment_link.split("pref_id=")[1];
  const paid = await fetch(`${MERCADO_PAGO}/__emulator/preferences/${preference}/pay`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ status: "approved" }),
  });
  assert.equal(paid.status, 200, await paid.text());
  const order = await waitUntil(
    async () => {
      const read = await api("GET", `/api/v1/purchases/${placed.body.id}`, { token: buyer });
      return read.body?.status === "paid" && read.body.tickets?.length === quantity ? read.body : null;
    },
    { message: "the order is paid and its tickets issued" },
  );
  return order.tickets;
}

export async function registerDevice(staff, eventId, name) {
  return (await api("POST", "/api/v1/validation/devices", { token: staff, body: { name, event_id: eventId }, expect: 201 })).body;
}

const MAIL_SINK = process.env.MAIL_SINK_URL ?? "http://localhost:8025";

/** The SMTP sink's messages to `address` whose subject is `subject` (other tests share the sink). */
export async function mailsTo(address, subject) {
  const response = await fetch(`${MAIL_SINK}/email`);
  assert.equal(response.status, 200, "the SMTP sink answers");
  const messages = await response.json();
  return messages.filter((m) => m.subject === subject && m.to.some((to) => to.address === address));
}
