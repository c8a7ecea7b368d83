// Door devices of an event: the list from validation-svc (label, last gate and scan, expiry,
// revoked), registering one (its enrolment QR for the volunteer to scan, shown once: the token is
// never listed) and revoking. The list refreshes while the screen is open, so a device's first
// scan shows up.
import { api } from "../shared/auth";
import { h } from "../shared/dom";
import { formatEventDateTime } from "../shared/i18n";
import { every, statusBadge, type ScreenContext } from "../shared/screen";
import type { CrowdEvent, Page } from "../shared/types";
import { showFormError } from "../shared/view";

interface Registered {
  id: string;
  name: string;
  expires_at: string;
  enrolment_qr_svg: string;
}

interface Device {
  id: string;
  name: string;
  gate: string | null;
  created_at: string;
  expires_at: string;
  last_seen_at: string | null;
  revoked: boolean;
}

const PAGE_SIZE = 50;

function revokeButton(device: Device, onRevoked: () => void): HTMLElement {
  const button = h("button", { type: "button", class: "danger", "aria-label": `Revocar ${device.name}` }, "Revocar");
  button.addEventListener("click", async () => {
    if (!confirm(`¿Revocar «${device.name}»? Dejará de poder validar entradas.`)) return;
    button.disabled = true;
    try {
      await api(`/api/v1/validation/devices/${device.id}`, { method: "DELETE" });
      onRevoked();
    } catch (error) {
      button.disabled = false;
      const form = h("form", {}, h("button", { type: "submit", hidden: true }));
      button.after(form);
      showFormError(form, error);
    }
  });
  return button;
}

function deviceRow(device: Device, onRevoked: () => void): HTMLElement {
  const state = device.revoked
    ? statusBadge("revoked", "Revocado")
    : new Date(device.expires_at).getTime() < Date.now()
      ? statusBadge("expired", "Vencido")
      : statusBadge("valid", "Activo");
  return h(
    "tr",
    { "data-device-id": device.id, "data-revoked": String(device.revoked) },
    h("td", {}, device.name),
    h("td", {}, device.gate ?? "—"),
    h("td", {}, device.last_seen_at ? formatEventDateTime(device.last_seen_at) : "Aún no escanea"),
    h("td", {}, formatEventDateTime(device.created_at)),
    h("td", {}, formatEventDateTime(device.expires_at)),
    h("td", {}, state),
    h("td", {}, device.revoked ? null : revokeButton(device, onRevoked)),
  );
}

function enrolmentCard(device: Registered): HTMLElement {
  return h(
    "div",
    { class: "card", "data-device-id": device.id },
    h("h2", {}, `QR de enrolamiento · ${device.name}`),
    h("p", {}, "Pide al voluntario que lo escanee con la cámara de su teléfono. Se muestra solo ahora: si se pierde, registra otro dispositivo y revoca este."),
    h("img", { class: "enrolment-qr", alt: `QR de enrolamiento de ${device.name}`, src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(device.enrolment_qr_svg)}` }),
    h("p", { class: "note" }, `Válido hasta ${formatEventDateTime(device.expires_at)}.`),
  );
}

export async function devicesScreen(context: ScreenContext, eventId: string): Promise<Node> {
  const query = new URLSearchParams(location.hash.split("?")[1] ?? "");
  const page = Math.max(1, Number(query.get("pagina")) || 1);
  const listPath = `/api/v1/validation/events/${encodeURIComponent(eventId)}/devices?page=${page}&page_size=${PAGE_SIZE}`;
  const [event, first] = await Promise.all([api<CrowdEvent>(`/api/v1/events/${encodeURIComponent(eventId)}`), api<Page<Device>>(listPath)]);
  const enrolment = h("div", { id: "enrolment", "aria-live": "polite" });
  const rows = h("tbody", {});
  const summary = h("p", { class: "note", id: "devices-total" });
  const pager = h("nav", { class: "actions", "aria-label": "Páginas" });
  const render = (devices: Page<Device>) => {
    rows.replaceChildren(...devices.items.map((device) => deviceRow(device, () => void refresh())));
    summary.textContent = devices.total === 1 ? "1 dispositivo" : `${devices.total} dispositivos`;
    const pages = Math.max(1, Math.ceil(devices.total / PAGE_SIZE));
    const links = [
      page > 1 ? h("a", { href: `#/eventos/${eventId}/puertas?pagina=${page - 1}` }, "← Anteriores") : null,
      pages > 1 ? h("span", {}, `Página ${page} de ${pages}`) : null,
      page < pages ? h("a", { href: `#/eventos/${eventId}/puertas?pagina=${page + 1}` }, "Siguientes →") : null,
    ];
    pager.replaceChildren(...links.filter((link): link is HTMLElement => link !== null));
  };
  const refresh = async () => render(await api<Page<Device>>(listPath));
  render(first);
  every(context, 10_000, refresh);

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
      const device = await api<Registered>("/api/v1/validation/devices", { method: "POST", body: { event_id: eventId, name } });
      form.reset();
      enrolment.replaceChildren(enrolmentCard(device));
      await refresh();
    } catch (error) {
      showFormError(form, error);
    }
  });

  const headings = ["Nombre", "Última puerta", "Último escaneo", "Registrado", "Vence", "Estado", ""];
  return h(
    "section",
    { "data-event-id": eventId },
    h("h1", {}, `Puertas · ${event.name}`),
    h("nav", { class: "actions", "aria-label": "Este evento" }, h("a", { href: `#/eventos/${eventId}` }, "Editar evento"), h("a", { href: `#/eventos/${eventId}/panel` }, "Panel")),
    form,
    enrolment,
    h("h2", {}, "Dispositivos del evento"),
    summary,
    h("div", { class: "table-wrap" }, h("table", { id: "devices" }, h("thead", {}, h("tr", {}, headings.map((t) => h("th", { scope: "col" }, t)))), rows)),
    pager,
  );
}
