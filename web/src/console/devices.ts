// Door devices of an event: register one (its enrolment QR for the volunteer to scan) and revoke.
// validation-svc has no list of devices, so this browser remembers the ones registered here (id,
// name, expiry; never the token), to revoke them later.
import { api } from "../shared/auth";
import { h } from "../shared/dom";
import { formatEventDateTime } from "../shared/i18n";
import type { ScreenContext } from "../shared/screen";
import type { CrowdEvent } from "../shared/types";
import { showFormError } from "../shared/view";

interface Device {
  id: string;
  name: string;
  event_id: string;
  expires_at: string;
  enrolment_url: string;
  enrolment_qr_svg: string;
}

interface RememberedDevice {
  id: string;
  name: string;
  expires_at: string;
  revoked?: boolean;
}

const storageKey = (eventId: string) => `crowdify.devices.${eventId}`;

function remembered(eventId: string): RememberedDevice[] {
  try {
    return JSON.parse(localStorage.getItem(storageKey(eventId)) ?? "[]") as RememberedDevice[];
  } catch {
    return [];
  }
}

function remember(eventId: string, devices: RememberedDevice[]): void {
  localStorage.setItem(storageKey(eventId), JSON.stringify(devices));
}

export async function devicesScreen(_context: ScreenContext, eventId: string): Promise<Node> {
  const event = await api<CrowdEvent>(`/api/v1/events/${encodeURIComponent(eventId)}`);
  const enrolment = h("div", { id: "enrolment", "aria-live": "polite" });
  const list = h("tbody", {});
  const renderList = () => {
    list.replaceChildren(
      ...remembered(eventId).map((device) => {
        const revoke = h("button", { type: "button", class: "danger", disabled: device.revoked ?? false }, device.revoked ? "Revocado" : "Revocar");
        revoke.addEventListener("click", async () => {
          if (!confirm(`¿Revocar «${device.name}»? Dejará de poder validar entradas.`)) return;
          revoke.disabled = true;
          try {
            await api(`/api/v1/validation/devices/${device.id}`, { method: "DELETE" });
          } catch (error) {
            revoke.disabled = false;
            const form = h("form", {}, h("button", { type: "submit", hidden: true }));
            revoke.after(form);
            showFormError(form, error);
            return;
          }
          remember(eventId, remembered(eventId).map((d) => (d.id === device.id ? { ...d, revoked: true } : d)));
          renderList();
        });
        return h("tr", { "data-device-id": device.id }, h("td", {}, device.name), h("td", {}, formatEventDateTime(device.expires_at)), h("td", {}, revoke));
      }),
    );
  };
  renderList();

  const form = h(
    "form",
    { class: "card", id: "register-device", novalidate: true },
    h("h2", {}, "Registrar un dispositivo"),
    h("label", { for: "device-name" }, "Nombre (puerta o voluntario)"),
    h("input", { id: "device-name", name: "name", required: true, maxlength: 100, placeholder: "Ej.: Puerta Norte, teléfono 1" }),
    h("button", { type: "submit", class: "primary" }, "Registrar y mostrar QR"),
  );
  form.addEventListener("submit", async (submitted) => {
    submitted.preventDefault();
    const name = (form.elements.namedItem("name") as HTMLInputElement).value.trim();
    try {
      const device = await api<Device>("/api/v1/validation/devices", { method: "POST", body: { event_id: eventId, name } });
      remember(eventId, [...remembered(eventId), { id: device.id, name: device.name, expires_at: device.expires_at }]);
      renderList();
      form.reset();
      enrolment.replaceChildren(
        h(
          "div",
          { class: "card", "data-device-id": device.id },
          h("h2", {}, `QR de enrolamiento · ${device.name}`),
          h("p", {}, "Pide al voluntario que lo escanee con la cámara de su teléfono. Sirve una sola vez por teléfono; no lo compartas."),
          h("img", { class: "enrolment-qr", alt: `QR de enrolamiento de ${device.name}`, src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(device.enrolment_qr_svg)}` }),
          h("p", { class: "note" }, `Válido hasta ${formatEventDateTime(device.expires_at)}.`),
        ),
      );
    } catch (error) {
      showFormError(form, error);
    }
  });

  return h(
    "section",
    { "data-event-id": eventId },
    h("h1", {}, `Puertas · ${event.name}`),
    h("nav", { class: "actions", "aria-label": "Este evento" }, h("a", { href: `#/eventos/${eventId}` }, "Editar evento"), h("a", { href: `#/eventos/${eventId}/panel` }, "Panel")),
    form,
    enrolment,
    h("h2", {}, "Registrados desde este navegador"),
    h("div", { class: "table-wrap" }, h("table", { id: "devices" }, h("thead", {}, h("tr", {}, ["Nombre", "Vence", ""].map((t) => h("th", { scope: "col" }, t)))), list)),
  );
}
