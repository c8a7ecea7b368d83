// The door scanner in real headless Chromium (Debian's), against the running platform through the
// gateway: enrolment, camera scans of tickets bought through the gateway, offline scans, a forged
// code, sync, two devices offline on one ticket, a revoked and an expired device.
//   node web/e2e/scanner.e2e.mjs     (make test-e2e runs it; the platform must answer on GATEWAY_URL)
// Each verdict screen is saved under web/test-results/scanner/.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "./browser.mjs";
import { writeQrClip } from "./camera-clip.mjs";
import { GATEWAY, api, buyTickets, login, publishEvent, registerDevice, waitUntil } from "./platform.mjs";

const ARTEFACTS = join(dirname(fileURLToPath(import.meta.url)), "..", "test-results", "scanner");
const work = mkdtempSync(join(tmpdir(), "crowdify-scanner-e2e-"));
const clip = join(work, "camera.y4m");

/** The link as the organiser hands it out, pointed at the gateway under test. */
function local(enrolmentUrl) {
  const url = new URL(enrolmentUrl);
  return `${GATEWAY}${url.pathname}${url.hash}`;
}

/** A code with the same shape and one payload character changed: a forgery only the signature betrays. */
function forge(code) {
  const at = code.indexOf(".", 4) + 5;
  return code.slice(0, at) + (code[at] === "A" ? "B" : "A") + code.slice(at + 1);
}

async function screenshot(page, name, { fullPage = false } = {}) {
  await page.screenshot({ path: join(ARTEFACTS, `${name}.png`), fullPage });
}

async function verdict(page, result, { offline }) {
  const box = page.locator(`#verdict[data-result="${result}"][data-offline="${offline}"]`);
  await box.waitFor({ state: "visible", timeout: 20_000 });
  return box;
}

async function verdictGone(page) {
  await page.locator("#verdict").waitFor({ state: "hidden", timeout: 10_000 });
}

/** Point the camera at a code: the fake camera reads its file when it starts. */
async function scanWithCamera(page, code) {
  writeQrClip(clip, code);
  await page.click("#camera-toggle");
}

async function stopCamera(page) {
  if ((await page.textContent("#camera-toggle")) === "Apagar cámara") await page.click("#camera-toggle");
}

async function figure(page, id) {
  return (await page.textContent(`#${id}`))?.trim();
}

/** Requests a page makes anywhere but the gateway: the app must fetch nothing from elsewhere. */
const foreignRequests = [];

async function enrol(context, device, gate) {
  const page = await context.newPage();
  page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
  page.on("request", (request) => {
    const url = request.url();
    if (/^(https?|wss?):/.test(url) && !url.startsWith(`${GATEWAY}/`)) foreignRequests.push(url);
  });
  await page.goto(local(device.enrolment_url));
  await page.locator('body[data-screen="setup"]').waitFor({ timeout: 30_000 });
  assert.equal(new URL(page.url()).hash, "", "the token leaves the address bar once kept");
  await page.fill("#gate", gate);
  await page.click('#setup-form button[type="submit"]');
  await page.locator('body[data-screen="scan"]').waitFor();
  return page;
}

async function main() {
  mkdirSync(ARTEFACTS, { recursive: true });
  const admin = await login("admin@crowdify.test");
  const buyer = await login("buyer@crowdify.test");
  const { eventId, eventName, typeId } = await publishEvent(admin);
  const child = { nombre: "Tomás Pérez", rut: "12.345.678-5", fecha_nacimiento: "2016-04-02" };
  const tickets = await buyTickets(buyer, eventId, typeId, [
    { name: "Ana Pérez" },
    { name: "Ana Pérez" },
    { name: "Ana Pérez" },
    { name: "Tomás Pérez", child },
  ]);
  const childTicket = tickets.find((ticket) => ticket.holder_name === "Tomás Pérez");
  const [first, second, third] = tickets.filter((ticket) => ticket !== childTicket);
  assert.ok(childTicket && third, JSON.stringify(tickets));
  const norte = await registerDevice(admin, eventId, "Puerta Norte");
  const sur = await registerDevice(admin, eventId, "Puerta Sur");
  // The paid tickets reach validation-svc over the bus; the door's manifest lists them.
  await waitUntil(
    async () => {
      const manifest = await api("GET", `/api/v1/validation/events/${eventId}/manifest`, { token: norte.token });
      return manifest.body?.tickets?.length === 4;
    },
    { message: "the tickets reach the door's manifest" },
  );
  writeQrClip(clip, first.qr_payload);

  const browser = await launchChromium([
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    `--use-file-for-fake-video-capture=${clip}`,
  ]);
  try {
    const options = { viewport: { width: 412, height: 915 }, locale: "es-CL", timezoneId: "America/Santiago", permissions: ["camera"] };
    const northContext = await browser.newContext(options);
    const southContext = await browser.newContext(options);

    // Enrolment: the link hands the token over; the event is shown; the operator picks the post.
    const north = await enrol(northContext, norte, "Puerta Norte");
    assert.equal(await figure(north, "scan-event"), eventName);
    assert.equal(await figure(north, "scan-post"), "Puerta Norte · Entrada");
    await waitUntil(async () => (await figure(north, "manifest-age"))?.startsWith("4 entradas"), { message: "the manifest is downloaded" });
    await screenshot(north, "enrolled", { fullPage: true });

    // Online, from the camera: admitted, then (the same code after the repeat window) already used.
    await scanWithCamera(north, first.qr_payload);
    const admitted = await verdict(north, "admitted", { offline: false });
    assert.equal(await admitted.locator("#verdict-title").textContent(), "ADMITIDO");
    assert.equal(await admitted.locator("#verdict-holder").textContent(), first.holder_name);
    assert.equal(await admitted.locator("#verdict-type").textContent(), "General");
    await screenshot(north, "online-admitted");
    await verdictGone(north);
    const used = await verdict(north, "already_used", { offline: false });
    assert.match(await used.locator("#verdict-title").textContent(), /^YA USADO — entró \d\d:\d\d por Puerta Norte$/);
    await screenshot(north, "online-already-used");
    await stopCamera(north);
    assert.equal(await figure(north, "admitted-here"), "1");

    // The app shell starts with no network (service worker), and scans fall back to this device.
    await waitUntil(() => north.evaluate(() => navigator.serviceWorker.controller !== null), { message: "the service worker controls the page" });
    await northContext.setOffline(true);
    await north.reload();
    await north.locator('body[data-ready="true"][data-screen="scan"]').waitFor();
    await scanWithCamera(north, second.qr_payload);
    await verdict(north, "admitted", { offline: true });
    await screenshot(north, "offline-admitted");
    await stopCamera(north);
    await verdictGone(north);
    assert.equal(await figure(north, "network"), "Sin conexión");
    assert.equal(await figure(north, "waiting"), "1");

    // A forged code, typed by a keyboard-wedge reader: refused offline by its signature.
    await north.keyboard.type(forge(third.qr_payload));
    await north.keyboard.press("Enter");
    const forged = await verdict(north, "invalid", { offline: true });
    assert.match(await forged.locator("#verdict-detail").textContent(), /Firma falsa/);
    await screenshot(north, "offline-invalid");
    await verdictGone(north);
    assert.equal(await figure(north, "waiting"), "2");

    // Two doors offline admit the same ticket: north first, then south.
    const south = await enrol(southContext, sur, "Puerta Sur");
    await waitUntil(async () => (await figure(south, "manifest-age"))?.startsWith("4 entradas"), { message: "south has the manifest" });
    await southContext.setOffline(true);
    await scanWithCamera(north, third.qr_payload);
    await verdict(north, "admitted", { offline: true });
    await stopCamera(north);
    await scanWithCamera(south, third.qr_payload);
    await verdict(south, "admitted", { offline: true });
    await stopCamera(south);
    await verdictGone(south);

    // Back online: north's queue syncs by itself; south's sync reports the conflict.
    await northContext.setOffline(false);
    await waitUntil(async () => (await figure(north, "waiting")) === "0", { message: "north's queue syncs when the network returns" });
    assert.notEqual(await figure(north, "last-sync"), "nunca");
    assert.equal(await figure(north, "network"), "En línea");
    await southContext.setOffline(false);
    await south.click("#sync-now");
    await south.locator("#conflicts").waitFor({ state: "visible", timeout: 20_000 });
    const conflict = await south.locator("#conflict-list li").first().textContent();
    assert.match(conflict, /ya había entrado \d\d:\d\d por Puerta Norte/);
    assert.equal(await figure(south, "waiting"), "0");
    await screenshot(south, "sync-conflict", { fullPage: true });

    // A child's ticket, online: the child's name is on the verdict.
    await scanWithCamera(north, childTicket.qr_payload);
    const childAdmitted = await verdict(north, "admitted", { offline: false });
    assert.equal(await childAdmitted.locator("#verdict-holder").textContent(), "Tomás Pérez");
    assert.equal(await childAdmitted.locator("#verdict-child").textContent(), "Menor: Tomás Pérez");
    await screenshot(north, "online-admitted-child");
    await stopCamera(north);
    await verdictGone(north);

    // Attendance counts each ticket once: four people in, all through the north door.
    const stats = await api("GET", `/api/v1/validation/events/${eventId}/stats`, { token: admin, expect: 200 });
    assert.equal(stats.body.admitted, 4, JSON.stringify(stats.body));
    assert.deepEqual(stats.body.by_gate, { "Puerta Norte": 4 });

    // The north post switches to exits; a code typed by hand records the exit.
    await north.click("#change-post");
    await north.check('input[name="direction"][value="out"]');
    await north.click('#setup-form button[type="submit"]');
    // The post is stored (IndexedDB) before the scanner screen shows it again.
    await waitUntil(async () => (await figure(north, "scan-post")) === "Puerta Norte · Salida", {
      message: "the scanner shows the exit post",
    });
    await north.fill("#manual-code", first.qr_payload);
    await north.click('#manual-form button[type="submit"]');
    await verdict(north, "exited", { offline: false });
    await screenshot(north, "online-exited");
    const afterExit = await api("GET", `/api/v1/validation/events/${eventId}/stats`, { token: admin, expect: 200 });
    assert.equal(afterExit.body.inside, 3, JSON.stringify(afterExit.body));

    // The organiser revokes the south phone: it says so, and can be un-enrolled.
    await api("DELETE", `/api/v1/validation/devices/${sur.id}`, { token: admin, expect: 204 });
    await south.locator('body[data-screen="access-problem"][data-access="revoked"]').waitFor({ timeout: 20_000 });
    await screenshot(south, "device-revoked");
    await south.click("#access-unenrol");
    await south.locator('body[data-screen="welcome"]').waitFor();

    assert.deepEqual(foreignRequests, [], "no CDN or other origin at run time");

    // An expired enrolment link: a clear screen, not a blank one.
    const claims = { sub: `device:${crypto.randomUUID()}`, role: "scanner", event_id: eventId, device_id: crypto.randomUUID(), exp: Math.floor(Date.now() / 1000) - 60 };
    const expired = ["e30", Buffer.from(JSON.stringify(claims)).toString("base64url"), "c2ln"].join(".");
    const late = await southContext.newPage();
    await late.goto(`${GATEWAY}/scanner/#token=${expired}`);
    await late.locator('body[data-screen="access-problem"][data-access="expired"]').waitFor();
    assert.equal(await figure(late, "access-title"), "Acceso vencido");
    await screenshot(late, "device-expired");
  } finally {
    await browser.close();
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`scanner browser tests passed; screenshots in ${ARTEFACTS}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
