// The organiser console and the shop in real headless Chromium (Debian's), against the running
// platform through the gateway: an organiser creates and publishes an event in the console; a buyer
// buys two tickets in the shop (a double click on "pay" places one order), pays at the Mercado Pago
// emulator's checkout page, comes back to the order page and sees it paid with two QR codes; the
// console's dashboard shows the sale; the organiser refunds one ticket and the buyer's page shows
// it revoked; a coordinator does not see another organiser's event.
//   node web/e2e/console-shop.e2e.mjs     (make test-e2e runs it; the platform must answer on GATEWAY_URL)
// Each screen is saved under web/test-results/console-shop/.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "./browser.mjs";
import { GATEWAY, api, login, waitUntil } from "./platform.mjs";

const ARTEFACTS = join(dirname(fileURLToPath(import.meta.url)), "..", "test-results", "console-shop");
const DESKTOP = { viewport: { width: 1280, height: 900 }, locale: "es-CL", timezoneId: "America/Santiago" };
const PHONE = { viewport: { width: 390, height: 844 }, locale: "es-CL", timezoneId: "America/Santiago", isMobile: true, hasTouch: true };

async function screenshot(page, name) {
  await page.screenshot({ path: join(ARTEFACTS, `${name}.png`), fullPage: true });
}

async function screen(page, name) {
  await page.locator(`main[data-screen="${name}"]`).waitFor({ timeout: 20_000 });
}

function watch(page, errors) {
  page.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && !/status of (400|401|404|409|422)/.test(message.text())) errors.push(`console: ${message.text()}`);
  });
  page.on("dialog", (dialog) => void dialog.accept());
}

async function signIn(page, email) {
  await page.fill("#email", email);
  await page.fill("#password", "crowdify");
  await page.click('#sign-in button[type="submit"]');
}

/** "2026-12-19T21:00" fifteen days from now, as a datetime-local field takes it. */
function inFifteenDays() {
  const date = new Date(Date.now() + 15 * 24 * 3600 * 1000);
  return `${date.toISOString().slice(0, 10)}T21:00`;
}

async function main() {
  mkdirSync(ARTEFACTS, { recursive: true });
  const errors = [];
  const browser = await launchChromium();
  try {
    const organiser = await browser.newContext(DESKTOP);
    const console_ = await organiser.newPage();
    watch(console_, errors);

    // Sign-in: a wrong password is said plainly, then the right one opens the console.
    await console_.goto(`${GATEWAY}/console/`);
    await screen(console_, "sign-in");
    await console_.fill("#email", "admin@crowdify.test");
    await console_.fill("#password", "equivocada");
    await console_.click('#sign-in button[type="submit"]');
    await console_.locator("#sign-in .form-error", { hasText: "Correo o contraseña incorrectos" }).waitFor();
    await screenshot(console_, "console-sign-in-refused");
    await signIn(console_, "admin@crowdify.test");
    await screen(console_, "overview");
    await screenshot(console_, "console-overview");

    // The organiser creates an event, adds a ticket type (a bad one first: errors on its fields) and publishes.
    await console_.click('a[href="#/eventos"]');
    await screen(console_, "events");
    await console_.click("#new-event");
    await screen(console_, "event-editor");
    const eventName = `Cumbia en el Parque ${crypto.randomUUID().slice(0, 6)}`;
    await console_.fill("#event-name", eventName);
    await console_.fill("#event-venue", "Parque Bustamante");
    await console_.fill("#event-city", "Santiago");
    await console_.fill("#event-starts_at", inFifteenDays());
    await console_.fill("#event-hold_minutes", "15");
    await console_.click('#event-form button[type="submit"]');
    const draft = console_.locator('main[data-screen="event-editor"] section[data-status="draft"]');
    await draft.waitFor();
    const eventId = await draft.getAttribute("data-event-id");
    assert.ok(eventId);

    await console_.fill("#new-type-name", "General");
    await console_.fill("#new-type-price", "-5");
    await console_.fill("#new-type-capacity", "");
    await console_.click('#add-type button[type="submit"]');
    await console_.locator('#new-type-price[aria-invalid="true"]').waitFor();
    assert.equal(await console_.getAttribute("#new-type-capacity", "aria-invalid"), "true");
    const priceError = await console_.locator("#new-type-price + .field-error").textContent();
    assert.match(priceError, /demasiado bajo/, "the 422's field error is on the price field, in Spanish");
    await screenshot(console_, "console-field-errors");

    await console_.fill("#new-type-price", "12000");
    await console_.fill("#new-type-capacity", "20");
    await console_.fill("#new-type-max_per_order", "4");
    await console_.click('#add-type button[type="submit"]');
    await console_.locator("#ticket-types tr[data-type-id]").waitFor();
    await console_.click("#publish");
    await console_.locator('main[data-screen="event-editor"] section[data-status="published"]').waitFor();
    await screenshot(console_, "console-event-published");

    // The buyer finds the event in the shop (on a phone), signs in and buys two tickets.
    const buyerContext = await browser.newContext(PHONE);
    const shop = await buyerContext.newPage();
    watch(shop, errors);
    await shop.goto(`${GATEWAY}/`);
    await screen(shop, "catalogue");
    await shop.locator(`li[data-event-id="${eventId}"]`).waitFor();
    await screenshot(shop, "shop-catalogue");
    await shop.click(`li[data-event-id="${eventId}"] a`);
    await screen(shop, "event");
    await signIn(shop, "buyer@crowdify.test");
    await shop.locator("#checkout").waitFor();
    const typeRow = shop.locator(".ticket-type").first();
    assert.equal(await typeRow.locator(".availability").textContent(), "Disponible");
    await typeRow.locator("input.quantity").fill("2");
    await shop.fill("#buyer-name", "Ana Pérez");
    assert.match(await shop.textContent("#buyer-email"), /buyer@crowdify\.test/, "the tickets go to the account's address");
    assert.equal(await shop.textContent("#total"), "Total: $24.000");
    await screenshot(shop, "shop-event-checkout");

    // A double click on "pay": one order, and off to Mercado Pago's checkout.
    const buyer = await login("buyer@crowdify.test");
    const ordersBefore = await buyerOrders(buyer, eventId);
    await shop.dblclick("#pay");
    // The shop goes straight to Mercado Pago when the reservation answers in time, else to the
    // order page, which offers the payment link once the tickets are held.
    const toCheckout = (url) => /\/checkout\/v1\/redirect\?pref_id=/.test(url.href);
    await shop.waitForURL((url) => toCheckout(url) || url.pathname.startsWith("/orders/"), { timeout: 30_000 });
    if (!toCheckout(new URL(shop.url()))) {
      await shop.click("#pay-link", { timeout: 30_000 });
      await shop.waitForURL(toCheckout, { timeout: 30_000 });
    }
    await screenshot(shop, "mercado-pago-checkout");
    assert.equal((await buyerOrders(buyer, eventId)).length - ordersBefore.length, 1, "a double click places one order");
    await shop.click('button[name="approved"]');

    // Back on the shop's order page: it follows the order to paid, with two QR codes.
    await shop.waitForURL(new RegExp(`^${GATEWAY}/orders/[0-9a-f-]+`), { timeout: 30_000 });
    const orderId = new URL(shop.url()).pathname.split("/")[2];
    await shop.locator('#order[data-status="paid"] #tickets img.qr').nth(1).waitFor({ timeout: 45_000 });
    assert.equal(await shop.locator("#tickets img.qr").count(), 2);
    assert.equal(await shop.locator("#order-status").textContent(), "Estado: Pagado");
    await screenshot(shop, "shop-order-paid");

    // The PDF of a ticket downloads; the tickets email can be asked for again.
    const [pdf] = await Promise.all([shop.waitForEvent("download"), shop.locator("#tickets button.pdf").first().click()]);
    assert.match(pdf.suggestedFilename(), /\.pdf$/);
    await shop.click("#resend");
    await shop.locator("#resend-status", { hasText: "te enviamos el correo" }).waitFor({ timeout: 20_000 });

    await shop.click('a[href="/mis-entradas"]');
    await screen(shop, "my-tickets");
    await waitUntil(async () => (await shop.locator(`#my-tickets a[href="/orders/${orderId}"]`).count()) === 2, { message: "my tickets lists both" });
    await screenshot(shop, "shop-my-tickets");

    // The console's dashboard shows the sale (it refreshes itself while open).
    // admin-svc learns of the event from the bus: until then its dashboard is "not found".
    await waitUntil(
      async () => {
        await console_.goto(`${GATEWAY}/console/#/eventos/${eventId}/panel`);
        await console_.locator('main[data-screen="dashboard"], main[data-screen="problem"]').waitFor({ timeout: 20_000 });
        return (await console_.getAttribute("main", "data-screen")) === "dashboard";
      },
      { within: 180_000, every: 2_000, message: "admin-svc has the event" },
    );
    await console_.locator("#sold", { hasText: /^2$/ }).waitFor({ timeout: 120_000 });
    await console_.locator("#net", { hasText: "$24.000" }).waitFor({ timeout: 20_000 });
    await screenshot(console_, "console-dashboard");

    // Door devices: an enrolment QR for the volunteer.
    await console_.goto(`${GATEWAY}/console/#/eventos/${eventId}/puertas`);
    await screen(console_, "devices");
    await console_.fill("#device-name", "Puerta Norte");
    await console_.click('#register-device button[type="submit"]');
    await console_.locator("#enrolment img.enrolment-qr").waitFor();
    await screenshot(console_, "console-devices");

    // The organiser refunds one of the two tickets.
    await console_.goto(`${GATEWAY}/console/#/pedidos?evento=${eventId}`);
    await screen(console_, "orders");
    await console_.click(`#order-list tr[data-order-id="${orderId}"] a`);
    await screen(console_, "order");
    const firstTicket = console_.locator("#order-tickets input[name=refund-ticket]").first();
    const refundedId = await firstTicket.getAttribute("value");
    await firstTicket.check();
    await console_.fill("#refund-reason", "No puede asistir");
    await console_.click('#refund button[type="submit"]');
    await console_.locator('main[data-screen="order"] section[data-status="partially_refunded"]').waitFor({ timeout: 30_000 });
    await console_.locator(`#order-tickets tr[data-ticket-id="${refundedId}"][data-status="revoked"]`).waitFor();
    await screenshot(console_, "console-order-refunded");

    // The buyer's order page (still open) shows that ticket revoked, the other still valid.
    await shop.goto(`${GATEWAY}/orders/${orderId}`);
    await shop.locator(`#tickets li[data-ticket-id="${refundedId}"][data-status="revoked"]`).waitFor({ timeout: 30_000 });
    assert.equal(await shop.locator("#tickets img.qr").count(), 1);
    await screenshot(shop, "shop-order-ticket-revoked");

    // A coordinator does not see another organiser's event: its dashboard is "not found".
    const coordinatorContext = await browser.newContext(DESKTOP);
    const coordinator = await coordinatorContext.newPage();
    watch(coordinator, errors);
    await coordinator.goto(`${GATEWAY}/console/#/eventos/${eventId}/panel`);
    await screen(coordinator, "sign-in");
    await signIn(coordinator, "coordinator@crowdify.test");
    await screen(coordinator, "problem");
    await coordinator.locator('[data-problem="404"]', { hasText: "No encontrado" }).waitFor();
    assert.equal(await coordinator.locator('nav a[href="#/pedidos"]').count(), 0, "a coordinator's menu has no orders");
    await screenshot(coordinator, "console-coordinator-not-found");
    // Nor another organiser's draft in the list (published events are public, drafts are not).
    const admin = await login("admin@crowdify.test");
    const othersDraft = await api("POST", "/api/v1/events", {
      token: admin,
      body: { name: `Borrador ajeno ${crypto.randomUUID().slice(0, 6)}`, starts_at: new Date(Date.now() + 20 * 86400_000).toISOString() },
      expect: 201,
    });
    await coordinator.click('nav a[href="#/eventos"]');
    await screen(coordinator, "events");
    assert.equal(await coordinator.locator(`[data-event-id="${othersDraft.body.id}"]`).count(), 0, "another's draft is not in a coordinator's list");
    await coordinator.goto(`${GATEWAY}/console/#/eventos/${othersDraft.body.id}`);
    await coordinator.locator('main[data-screen="problem"] [data-problem="404"]').waitFor();

    // A buyer in the console: a clear "no permission" screen.
    const buyerConsole = await buyerContext.newPage();
    await buyerConsole.goto(`${GATEWAY}/console/`);
    await screen(buyerConsole, "forbidden");
    await screenshot(buyerConsole, "console-buyer-forbidden");

    // Sign-out ends the session: the console asks to sign in again.
    await console_.click("#sign-out");
    await screen(console_, "sign-in");

    assert.deepEqual(errors, [], "the pages ran without errors");
  } catch (error) {
    // What each page showed when the journey broke, and what they logged.
    let n = 0;
    for (const context of browser.contexts()) {
      for (const page of context.pages()) await page.screenshot({ path: join(ARTEFACTS, `failure-${++n}.png`), fullPage: true }).catch(() => undefined);
    }
    console.error(errors.join("\n"));
    throw error;
  } finally {
    await browser.close();
  }
  console.log(`console and shop browser tests passed; screenshots in ${ARTEFACTS}`);
}

async function buyerOrders(token, eventId) {
  const page = await api("GET", "/api/v1/purchases?page_size=100", { token, expect: 200 });
  return page.body.items.filter((order) => order.event_id === eventId);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
