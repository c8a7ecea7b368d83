// The organiser console and the shop in real headless Chromium (Debian's), against the running
// platform through the gateway: an organiser creates and publishes an event in the console; a buyer
// buys two tickets in the shop (a double click on "pay" places one order), pays at the Mercado Pago
// emulator's checkout page, comes back to the order page and sees it paid with two QR codes; the
// console's dashboard shows the sale and its CSVs download; the organiser resends the tickets
// email from the email log (it reaches the SMTP sink), reads the order's Mercado Pago payment,
// refunds one ticket (the buyer's page shows it revoked) and then the rest; lists, registers and
// revokes door devices; invites a person, changes their role and adds them to the event's staff;
// a coordinator does not see another's event; the organiser cancels the event with a reason. The
// organiser's browser speaks English in Tokyo: the console still shows and reads dates in es-CL
// form on Santiago's clock.
//   node web/e2e/console-shop.e2e.mjs     (make test-e2e runs it; the platform must answer on GATEWAY_URL)
// Each screen is saved under web/test-results/console-shop/.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "./browser.mjs";
import { readFileSync } from "node:fs";
import { GATEWAY, api, login, mailsTo, registerDevice, waitUntil } from "./platform.mjs";

const ARTEFACTS = join(dirname(fileURLToPath(import.meta.url)), "..", "test-results", "console-shop");
const DESKTOP = { viewport: { width: 1280, height: 900 }, locale: "es-CL", timezoneId: "America/Santiago" };
// The organiser's browser: another language and another zone than the events'.
const ABROAD = { viewport: { width: 1280, height: 900 }, locale: "en-US", timezoneId: "Asia/Tokyo" };
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

/** Fifteen days from now at 21:00 in Santiago: as typed in the console ("19-12-2026 21:00") and as
 * Santiago's calendar reads it ("2026-12-19 21:00"). */
function inFifteenDays() {
  const day = new Intl.DateTimeFormat("en-CA", { timeZone: "America/Santiago" }).format(new Date(Date.now() + 15 * 86400_000));
  const [year, month, date] = day.split("-");
  return { typed: `${date}-${month}-${year} 21:00`, santiago: `${day} 21:00` };
}

/** An instant as Santiago's calendar and clock read it: "2026-12-19 21:00". */
function inSantiago(iso) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", { timeZone: "America/Santiago", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/** Click `selector`, and the file the page downloads: its name and text. */
async function downloaded(page, selector) {
  const [file] = await Promise.all([page.waitForEvent("download"), page.click(selector)]);
  return { name: file.suggestedFilename(), text: readFileSync(await file.path(), "utf8") };
}

async function main() {
  mkdirSync(ARTEFACTS, { recursive: true });
  const errors = [];
  const browser = await launchChromium();
  try {
    const organiser = await browser.newContext(ABROAD);
    const console_ = await organiser.newPage();
    watch(console_, errors);
    assert.deepEqual(
      await console_.evaluate(() => [navigator.language, Intl.DateTimeFormat().resolvedOptions().timeZone]),
      ["en-US", "Asia/Tokyo"],
      "the organiser's browser is in English, in Tokyo",
    );

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
    // A date as a datetime-local field would give it is refused on its field, in Spanish.
    const starts = inFifteenDays();
    await console_.fill("#event-starts_at", starts.santiago.replace(" ", "T"));
    await console_.fill("#event-hold_minutes", "15");
    await console_.click('#event-form button[type="submit"]');
    await console_.locator('#event-starts_at[aria-invalid="true"] + .field-error', { hasText: "dd-mm-aaaa hh:mm" }).waitFor();
    assert.equal(await console_.getAttribute("#event-starts_at", "placeholder"), "dd-mm-aaaa hh:mm");
    await console_.fill("#event-starts_at", starts.typed);
    await console_.click('#event-form button[type="submit"]');
    const draft = console_.locator('main[data-screen="event-editor"] section[data-status="draft"]');
    await draft.waitFor();
    const eventId = await draft.getAttribute("data-event-id");
    assert.ok(eventId);
    // Stored as 21:00 in Santiago, and shown back as typed, whatever the browser's zone.
    const admin = await login("admin@crowdify.test");
    const stored = await api("GET", `/api/v1/events/${eventId}`, { token: admin, expect: 200 });
    assert.equal(inSantiago(stored.body.starts_at), starts.santiago);
    assert.equal(await console_.inputValue("#event-starts_at"), starts.typed);
    await screenshot(console_, "console-event-dates");

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

    await checkCsvDownloads(console_, orderId);
    await resendFromEmailLog(console_, orderId, eventName, admin);

    // The order in the console: its Mercado Pago payment; the organiser refunds one of the two tickets.
    await console_.goto(`${GATEWAY}/console/#/pedidos?evento=${eventId}`);
    await screen(console_, "orders");
    await console_.click(`#order-list tr[data-order-id="${orderId}"] a`);
    await screen(console_, "order");
    const payment = console_.locator('#order-payments tr[data-status="approved"]');
    await payment.waitFor({ timeout: 60_000 });
    const paymentId = await payment.getAttribute("data-payment-id");
    assert.match(paymentId, /^\d+$/, "Mercado Pago's payment id");
    assert.deepEqual(await payment.locator("td").allTextContents().then((cells) => cells.slice(0, 4)), [paymentId, "Aprobado", "$24.000", "—"]);
    await screenshot(console_, "console-order-payment");
    const firstTicket = console_.locator("#order-tickets input[name=refund-ticket]").first();
    const refundedId = await firstTicket.getAttribute("value");
    await firstTicket.check();
    await console_.fill("#refund-reason", "No puede asistir");
    await console_.click('#refund button[type="submit"]');
    await console_.locator('main[data-screen="order"] section[data-status="partially_refunded"]').waitFor({ timeout: 30_000 });
    await console_.locator(`#order-tickets tr[data-ticket-id="${refundedId}"][data-status="revoked"]`).waitFor();
    const partial = console_.locator('#order-refunds tr[data-tickets="1"]');
    await partial.waitFor({ timeout: 60_000 });
    const [amount, cause, , tickets] = await partial.locator("td").allTextContents();
    assert.deepEqual([amount, cause], ["$12.000", "Devolución desde la consola"]);
    assert.match(tickets, /General · /, "the refunded ticket is named");
    await console_.locator('#order-payments tr[data-status="partially_refunded"]').waitFor({ timeout: 30_000 });
    await screenshot(console_, "console-order-refunded");

    // The buyer's order page (still open) shows that ticket revoked, the other still valid.
    await shop.goto(`${GATEWAY}/orders/${orderId}`);
    await shop.locator(`#tickets li[data-ticket-id="${refundedId}"][data-status="revoked"]`).waitFor({ timeout: 30_000 });
    assert.equal(await shop.locator("#tickets img.qr").count(), 1);
    await screenshot(shop, "shop-order-ticket-revoked");

    await doorDevices(console_, eventId, { admin, buyer, orderId, refundedId });

    // The rest of the order, refunded from the same screen: the whole order is refunded.
    await console_.goto(`${GATEWAY}/console/#/pedidos/${orderId}`);
    await screen(console_, "order");
    await console_.fill("#refund-reason", "Devolución del resto");
    await console_.click('#refund button[type="submit"]');
    await console_.locator('main[data-screen="order"] section[data-status="refunded"]').waitFor({ timeout: 30_000 });
    await console_.locator("#order-refunds tbody tr").nth(1).waitFor({ timeout: 60_000 });
    await console_.locator('#order-payments tr[data-status="refunded"]').waitFor({ timeout: 30_000 });
    assert.equal(await console_.locator("#order-refunds tbody tr").count(), 2);
    assert.equal(await console_.locator("table.emails button.resend").count(), 0, "nothing to resend once all is refunded");
    await screenshot(console_, "console-order-fully-refunded");
    await noResendInEmailLog(console_, orderId, admin);

    await staffAndRoles(console_, eventId, admin);

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
    // Nor another's event in the list: neither the organiser's published event nor a draft.
    const othersDraft = await api("POST", "/api/v1/events", {
      token: admin,
      body: { name: `Borrador ajeno ${crypto.randomUUID().slice(0, 6)}`, starts_at: new Date(Date.now() + 20 * 86400_000).toISOString() },
      expect: 201,
    });
    await coordinator.click('nav a[href="#/eventos"]');
    await screen(coordinator, "events");
    assert.equal(await coordinator.locator(`[data-event-id="${eventId}"]`).count(), 0, "another's published event is not in a coordinator's list");
    assert.equal(await coordinator.locator(`[data-event-id="${othersDraft.body.id}"]`).count(), 0, "another's draft is not in a coordinator's list");
    await screenshot(coordinator, "console-coordinator-events");
    await coordinator.goto(`${GATEWAY}/console/#/eventos/${othersDraft.body.id}`);
    await coordinator.locator('main[data-screen="problem"] [data-problem="404"]').waitFor();

    await cancelEvent(console_, eventId, admin);
    // The buyer's page of the event says it is cancelled, why, and what happens to the money.
    await shop.goto(`${GATEWAY}/eventos/${eventId}`);
    await screen(shop, "event");
    await shop.locator("#cancelled .reason", { hasText: "Lluvia intensa anunciada para esa noche" }).waitFor();
    assert.equal(await shop.locator("#checkout").count(), 0, "a cancelled event sells nothing");
    await shop.locator(".ticket-type", { hasText: "Sin venta" }).first().waitFor();
    assert.equal(await shop.locator(".ticket-type input.quantity").count(), 0, "no quantity to choose on a cancelled event");
    assert.equal(await shop.locator(".ticket-type .availability").count(), 0, "no availability on a cancelled event");
    await screenshot(shop, "shop-event-cancelled");

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

/** The dashboard's CSV downloads: the orders and the attendees of the sale, as Excel opens them. */
async function checkCsvDownloads(page, orderId) {
  const rowsOf = (text) => text.replace(/^\uFEFF/, "").trim().split(/\r?\n/).map((line) => line.split(";"));
  const orders = await downloaded(page, "#csv-orders");
  assert.match(orders.name, /^pedidos-.*\.csv$/);
  assert.ok(orders.text.startsWith("\uFEFF"), "UTF-8 with a BOM, for Excel");
  const [orderHeader, ...orderRows] = rowsOf(orders.text);
  assert.deepEqual(orderHeader.slice(0, 5), ["pedido", "estado", "comprador", "email", "total"]);
  const row = orderRows.find((cells) => cells[0] === orderId);
  assert.ok(row, "the order is in the orders CSV");
  assert.equal(row[orderHeader.indexOf("email")], "buyer@crowdify.test");
  assert.match(row[orderHeader.indexOf("id_pago")], /^\d+$/, "with Mercado Pago's payment id");
  // admin-svc learns of the tickets a moment after the payment: download again until both are there.
  const attendees = await waitUntil(
    async () => {
      const file = await downloaded(page, "#csv-attendees");
      return rowsOf(file.text).filter((cells) => cells.includes(orderId)).length === 2 ? file : null;
    },
    { within: 60_000, every: 2_000, message: "both tickets in the attendees CSV" },
  );
  assert.match(attendees.name, /^asistentes-.*\.csv$/);
  assert.deepEqual(rowsOf(attendees.text)[0], ["entrada", "tipo", "titular", "nombre_menor", "rut_menor", "pedido", "estado", "ingreso", "puerta"]);
}

/** The email log, one order's emails: resending the tickets email delivers it again to the sink. */
async function resendFromEmailLog(page, orderId, eventName, admin) {
  const subject = `Tus entradas para ${eventName}`;
  // Every tickets email of the order so far (the payment's, the buyer's resend unless it found the
  // first still waiting) has been sent and is in the sink: the organiser's will be one more.
  const before = await waitUntil(
    async () => {
      const log = await api("GET", `/api/v1/notifications?order_id=${orderId}`, { token: admin, expect: 200 });
      const tickets = log.body.items.filter((email) => email.kind === "tickets");
      const sent = tickets.length > 0 && tickets.every((email) => email.status === "sent");
      return sent && (await mailsTo("buyer@crowdify.test", subject)).length === tickets.length ? tickets.length : 0;
    },
    { within: 60_000, every: 1_000, message: "the order's tickets emails sent and in the sink" },
  );
  await page.click('nav a[href="#/correos"]');
  await screen(page, "emails");
  await page.fill("#emails-order", orderId);
  await page.click('#email-filter button[type="submit"]');
  await page.locator(`main[data-screen="emails"] section[data-order-id="${orderId}"]`).waitFor();
  assert.equal(await page.locator("table.emails tbody tr").count(), before, "the order's emails are listed");
  await screenshot(page, "console-emails");
  await page.locator("table.emails button.resend").first().click();
  await page.locator("table.emails button.resend", { hasText: "Reenviado" }).waitFor({ timeout: 20_000 });
  await waitUntil(async () => (await mailsTo("buyer@crowdify.test", subject)).length === before + 1, {
    within: 60_000,
    message: "the resent email in the SMTP sink",
  });
}

/** The email log of a fully refunded order lists its emails and offers no resend: its tickets
 * no longer work (notification-svc marks no row resendable once it has the refund). */
async function noResendInEmailLog(page, orderId, admin) {
  await waitUntil(
    async () => {
      const log = await api("GET", `/api/v1/notifications?order_id=${orderId}`, { token: admin, expect: 200 });
      return log.body.items.some((email) => email.kind === "refund") && !log.body.items.some((email) => email.resendable);
    },
    { within: 60_000, every: 1_000, message: "notification-svc has the refund and offers no resend" },
  );
  await page.goto(`${GATEWAY}/console/#/correos?pedido=${orderId}`);
  await page.locator(`main[data-screen="emails"] section[data-order-id="${orderId}"]`).waitFor();
  assert.ok((await page.locator("table.emails tbody tr").count()) > 0, "the refunded order's emails are listed");
  assert.equal(await page.locator("table.emails button.resend").count(), 0, "the log offers no resend for a refunded order");
  await screenshot(page, "console-emails-refunded-order");
}

/** Door devices from validation-svc's list: one registered here (its QR), one elsewhere that has
 * scanned at the north gate; revoking from the list. */
async function doorDevices(page, eventId, { admin, buyer, orderId, refundedId }) {
  await page.goto(`${GATEWAY}/console/#/eventos/${eventId}/puertas`);
  await screen(page, "devices");
  await page.fill("#device-name", "Puerta Norte");
  await page.click('#register-device button[type="submit"]');
  await page.locator("#enrolment img.enrolment-qr").waitFor();
  const registeredHere = await page.getAttribute("#enrolment [data-device-id]", "data-device-id");
  await page.locator(`#devices tr[data-device-id="${registeredHere}"]`).waitFor();
  await screenshot(page, "console-devices-enrolment");

  // A device registered from another browser, which scans the refunded ticket at the north gate.
  const elsewhere = await registerDevice(admin, eventId, "Teléfono de Marta");
  const order = await api("GET", `/api/v1/purchases/${orderId}`, { token: buyer, expect: 200 });
  const code = order.body.tickets.find((t) => t.id === refundedId).qr_payload;
  await api("POST", "/api/v1/validation/scan", {
    token: elsewhere.token,
    body: { qr_payload: code, event_id: eventId, gate: "Norte" },
    expect: 200,
  });
  await page.goto(`${GATEWAY}/console/#/eventos/${eventId}/puertas?pagina=1`);
  await screen(page, "devices");
  const marta = page.locator(`#devices tr[data-device-id="${elsewhere.id}"]`);
  const [name, gate, lastScan] = await marta.locator("td").allTextContents();
  assert.deepEqual([name, gate], ["Teléfono de Marta", "Norte"]);
  assert.notEqual(lastScan, "Aún no escanea");
  assert.equal(await page.textContent("#devices-total"), "2 dispositivos");
  await page.click(`#devices tr[data-device-id="${registeredHere}"] button.danger`);
  await page.locator(`#devices tr[data-device-id="${registeredHere}"][data-revoked="true"]`).waitFor();
  await screenshot(page, "console-devices");
}

/** Staff and roles: invite a person, make them a coordinator, add them to the event's staff. */
async function staffAndRoles(page, eventId, admin) {
  const email = `equipo-${crypto.randomUUID().slice(0, 8)}@example.cl`;
  await page.goto(`${GATEWAY}/console/#/equipo`);
  await screen(page, "people");
  await page.fill("#invite-email", email);
  await page.selectOption("#invite-role", "scanner");
  await page.click('#invite button[type="submit"]');
  await page.getByRole("status").filter({ hasText: `Invitación enviada a ${email}` }).waitFor();
  await page.fill("#people-query", email);
  await page.click('#people-search button[type="submit"]');
  await page.locator(`main[data-screen="people"] section[data-search="${email}"]`).waitFor();
  const person = page.locator("#people tbody tr");
  assert.equal(await person.count(), 1, "the search finds the invited person");
  const userId = await person.getAttribute("data-user-id");
  assert.equal(await person.locator("select").inputValue(), "scanner");
  await person.locator("select").selectOption("coordinator");
  await person.locator('button[type="submit"]').click();
  await page.locator(`#people tr[data-user-id="${userId}"] select`).filter({ has: page.locator('option[value="coordinator"]:checked') }).waitFor();
  await page.locator("#audit li", { hasText: `a ${email} de Control de acceso a Coordinador` }).waitFor();
  await screenshot(page, "console-people");

  await page.goto(`${GATEWAY}/console/#/eventos/${eventId}`);
  await screen(page, "event-editor");
  await page.locator(`#staff input[name=coordinators][value="${userId}"]`).check();
  await page.click('#staff button[type="submit"]');
  await page.locator("#staff [role=status]", { hasText: "Equipo guardado." }).waitFor();
  const staff = await api("GET", `/api/v1/events/${eventId}/staff`, { token: admin, expect: 200 });
  assert.deepEqual(staff.body.coordinators, [userId]);
  await page.locator("#staff").screenshot({ path: join(ARTEFACTS, "console-event-staff.png") });
}

/** Cancelling an event asks for the reason, then the event is cancelled for good. */
async function cancelEvent(page, eventId, admin) {
  await page.goto(`${GATEWAY}/console/#/eventos/${eventId}`);
  await screen(page, "event-editor");
  await page.click('#cancel-event button[type="submit"]');
  await page.locator("#cancel-event .form-error", { hasText: "Escribe el motivo de la cancelación." }).waitFor();
  await page.fill("#cancel-reason", "Lluvia intensa anunciada para esa noche");
  await page.click('#cancel-event button[type="submit"]');
  await page.locator('main[data-screen="event-editor"] section[data-status="cancelled"]').waitFor({ timeout: 30_000 });
  await page.locator("#lifecycle", { hasText: "Este evento fue cancelado." }).waitFor();
  await page.locator("#lifecycle .reason", { hasText: "Lluvia intensa anunciada para esa noche" }).waitFor();
  const event = await api("GET", `/api/v1/events/${eventId}`, { token: admin, expect: 200 });
  assert.equal(event.body.status, "cancelled");
  await screenshot(page, "console-event-cancelled");
}

async function buyerOrders(token, eventId) {
  const page = await api("GET", "/api/v1/purchases?page_size=100", { token, expect: 200 });
  return page.body.items.filter((order) => order.event_id === eventId);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
