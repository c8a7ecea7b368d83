// Events: the list, and the editor (the event's fields, its ticket types, publish and cancel).
import { api, currentSession } from "../shared/auth";
import { h } from "../shared/dom";
import { EVENT_TIME_ZONE, formatCLP, formatCount, formatEventDateTime } from "../shared/i18n";
import { EVENT_STATUS, label } from "../shared/labels";
import { statusBadge, type ScreenContext } from "../shared/screen";
import type { CrowdEvent, Page, TicketType } from "../shared/types";
import { clearFieldErrors, showFormError } from "../shared/view";
import { fieldInputs, readFields, type FieldSpec } from "./forms";

const EVENT_FIELDS: FieldSpec[] = [
  { name: "name", label: "Nombre del evento", kind: "text", required: true },
  { name: "description", label: "Descripción", kind: "textarea" },
  { name: "venue", label: "Lugar", kind: "text" },
  { name: "city", label: "Ciudad", kind: "text" },
  { name: "starts_at", label: "Comienza (hora de Santiago)", kind: "datetime", required: true },
  { name: "ends_at", label: "Termina (hora de Santiago)", kind: "datetime" },
  { name: "capacity", label: "Capacidad total del recinto", kind: "integer", min: 0, hint: "Vacío: la suma de los tipos de entrada." },
  { name: "sales_start", label: "Inicio de la venta", kind: "datetime", hint: "Vacío: desde que se publica." },
  { name: "sales_end", label: "Fin de la venta", kind: "datetime", hint: "Vacío: hasta que comienza el evento." },
  { name: "hold_minutes", label: "Minutos para pagar (reserva)", kind: "integer", min: 1, max: 120, hint: "Cuánto tiempo se guardan las entradas mientras el comprador paga." },
  { name: "max_held_per_buyer", label: "Máximo de entradas sin pagar por comprador", kind: "integer", min: 1 },
  { name: "reentry_allowed", label: "Se permite salir y volver a entrar", kind: "checkbox" },
];

const TYPE_FIELDS: FieldSpec[] = [
  { name: "name", label: "Nombre del tipo", kind: "text", required: true },
  { name: "description", label: "Descripción", kind: "text" },
  { name: "price", label: "Precio (CLP)", kind: "integer", required: true, min: 0 },
  { name: "capacity", label: "Capacidad", kind: "integer", required: true, min: 0 },
  { name: "max_per_order", label: "Máximo por pedido", kind: "integer", min: 1, max: 100 },
  { name: "sales_start", label: "Inicio de la venta de este tipo", kind: "datetime" },
  { name: "sales_end", label: "Fin de la venta de este tipo", kind: "datetime" },
  { name: "requires_child_details", label: "Pide nombre, RUT y fecha de nacimiento del niño o niña", kind: "checkbox" },
];

export async function eventsScreen(): Promise<Node> {
  const query = new URLSearchParams(location.hash.split("?")[1] ?? "");
  const params = new URLSearchParams({ page_size: "100" });
  if (query.get("estado")) params.set("status", query.get("estado")!);
  if (query.get("buscar")) params.set("search", query.get("buscar")!);
  const page = await api<Page<CrowdEvent>>(`/api/v1/events?${params}`);
  const filter = h(
    "form",
    { class: "card", id: "event-filter", role: "search" },
    h("label", { for: "filter-search" }, "Buscar por nombre"),
    h("input", { id: "filter-search", name: "buscar", value: query.get("buscar") ?? "" }),
    h("label", { for: "filter-status" }, "Estado"),
    h(
      "select",
      { id: "filter-status", name: "estado" },
      h("option", { value: "" }, "Todos"),
      Object.entries(EVENT_STATUS).map(([value, text]) => h("option", { value, selected: query.get("estado") === value }, text)),
    ),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Filtrar")),
  );
  filter.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = new URLSearchParams();
    for (const [key, value] of new FormData(filter)) if (value) values.set(key, String(value));
    location.hash = `#/eventos?${values}`;
  });
  return h(
    "section",
    {},
    h("h1", {}, "Eventos"),
    h("div", { class: "actions" }, h("a", { href: "#/eventos/nuevo", class: "button", id: "new-event" }, "Nuevo evento")),
    filter,
    page.items.length
      ? h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { id: "event-list" },
            h("thead", {}, h("tr", {}, ["Evento", "Fecha", "Estado", "Vendidas / capacidad", ""].map((t) => h("th", { scope: "col" }, t)))),
            h(
              "tbody",
              {},
              page.items.map((event) => {
                const capacity = event.ticket_types.reduce((sum, t) => sum + t.capacity, 0);
                const left = event.ticket_types.reduce((sum, t) => sum + t.available, 0);
                return h(
                  "tr",
                  { "data-event-id": event.id },
                  h("td", {}, h("a", { href: `#/eventos/${event.id}` }, event.name)),
                  h("td", {}, formatEventDateTime(event.starts_at)),
                  h("td", {}, statusBadge(event.status, label(EVENT_STATUS, event.status))),
                  h("td", { class: "n" }, `${formatCount(capacity - left)} / ${formatCount(capacity)}`),
                  h("td", {}, h("a", { href: `#/eventos/${event.id}/panel` }, "Panel")),
                );
              }),
            ),
          ),
        )
      : h("p", {}, "No hay eventos con ese filtro."),
  );
}

export async function editorScreen(context: ScreenContext, eventId: string | null): Promise<Node> {
  const event = eventId ? await api<CrowdEvent>(`/api/v1/events/${encodeURIComponent(eventId)}`) : null;
  const editable = !event || event.status !== "cancelled";
  const form = h(
    "form",
    { class: "card", id: "event-form", novalidate: true },
    h("h2", {}, "Datos del evento"),
    ...fieldInputs("event", EVENT_FIELDS, event ? (event as unknown as Record<string, unknown>) : { hold_minutes: 10 }),
    h("p", { class: "note" }, `Las fechas se leen en hora de Santiago (${EVENT_TIME_ZONE}).`),
    editable ? h("button", { type: "submit", class: "primary" }, event ? "Guardar cambios" : "Crear borrador") : null,
  );
  const saved = h("p", { role: "status", id: "event-saved" });
  form.addEventListener("submit", async (submitted) => {
    submitted.preventDefault();
    const button = form.querySelector<HTMLButtonElement>("[type=submit]")!;
    button.disabled = true;
    clearFieldErrors(form);
    try {
      const body = readFields(form, EVENT_FIELDS, { omitEmpty: !event });
      if (event) {
        await api<CrowdEvent>(`/api/v1/events/${event.id}`, { method: "PATCH", body });
        saved.textContent = "Cambios guardados.";
      } else {
        const created = await api<CrowdEvent>("/api/v1/events", { method: "POST", body });
        location.hash = `#/eventos/${created.id}`;
      }
    } catch (error) {
      showFormError(form, error);
    } finally {
      button.disabled = false;
    }
  });
  if (!event) return h("section", {}, h("h1", {}, "Nuevo evento"), form);

  return h(
    "section",
    { "data-event-id": event.id, "data-status": event.status },
    h("h1", {}, event.name),
    h("p", {}, "Estado: ", statusBadge(event.status, label(EVENT_STATUS, event.status)), " · ", formatEventDateTime(event.starts_at)),
    h(
      "nav",
      { class: "actions", "aria-label": "Este evento" },
      h("a", { href: `#/eventos/${event.id}/panel` }, "Panel en vivo"),
      h("a", { href: `#/eventos/${event.id}/puertas` }, "Puertas (dispositivos)"),
      currentSession()?.role === "admin" ? h("a", { href: `#/pedidos?evento=${event.id}` }, "Pedidos") : null,
      event.status === "published" ? h("a", { href: `/eventos/${event.id}` }, "Ver en la tienda") : null,
    ),
    lifecycle(context, event),
    saved,
    form,
    ticketTypes(event, editable),
    currentSession()?.role === "admin" ? await staffCard(event) : null,
  );
}

interface Staff {
  created_by: string;
  coordinators: string[];
}

interface Person {
  id: string;
  email: string | null;
  role: string;
}

/** Who runs the event besides its creator: the coordinators an admin picks (they alone see it). */
async function staffCard(event: CrowdEvent): Promise<HTMLElement> {
  const [staff, people] = await Promise.all([
    api<Staff>(`/api/v1/events/${event.id}/staff`),
    api<{ items: Person[] }>("/api/v1/admin/users?per_page=100"),
  ]);
  const coordinators = people.items.filter((p) => p.role === "coordinator" || staff.coordinators.includes(p.id));
  const form = h(
    "form",
    { class: "card", id: "staff", novalidate: true },
    h("h2", {}, "Equipo del evento"),
    h("p", { class: "note" }, "Los coordinadores marcados ven y gestionan este evento (panel, puertas, tipos de entrada). Los administradores ven todos."),
    coordinators.length
      ? h(
          "fieldset",
          {},
          h("legend", {}, "Coordinadores"),
          coordinators.map((p) =>
            h("label", { class: "check" }, h("input", { type: "checkbox", name: "coordinators", value: p.id, checked: staff.coordinators.includes(p.id) }), p.email ?? p.id),
          ),
        )
      : h("p", {}, "No hay personas con rol de coordinador. Asígnalo en Equipo y roles."),
    h("button", { type: "submit" }, "Guardar equipo"),
  );
  const saved = h("p", { role: "status" });
  form.append(saved);
  form.addEventListener("submit", async (submitted) => {
    submitted.preventDefault();
    const chosen = [...form.querySelectorAll<HTMLInputElement>("input[name=coordinators]:checked")].map((box) => box.value);
    try {
      await api(`/api/v1/events/${event.id}/staff`, { method: "PUT", body: { coordinators: chosen } });
      saved.textContent = "Equipo guardado.";
    } catch (error) {
      showFormError(form, error);
    }
  });
  return form;
}

function lifecycle(_context: ScreenContext, event: CrowdEvent): HTMLElement {
  const box = h("div", { class: "card", id: "lifecycle" });
  const reload = () => window.dispatchEvent(new HashChangeEvent("hashchange"));
  if (event.status === "draft") {
    const publish = h("button", { type: "button", class: "primary", id: "publish" }, "Publicar (poner a la venta)");
    const message = h("div", { role: "status" });
    publish.addEventListener("click", async () => {
      publish.disabled = true;
      try {
        await api(`/api/v1/events/${event.id}/publish`, { method: "POST" });
        reload();
      } catch (error) {
        const form = h("form", {}, h("button", { type: "submit", hidden: true }));
        message.replaceChildren(form);
        showFormError(form, error);
        publish.disabled = false;
      }
    });
    box.append(
      h("p", {}, event.ticket_types.length ? "El evento es un borrador: nadie lo ve hasta publicarlo." : "Agrega al menos un tipo de entrada antes de publicar."),
      publish,
      message,
    );
  }
  if (event.status !== "cancelled" && currentSession()?.role === "admin") {
    const cancel = h(
      "form",
      { id: "cancel-event", novalidate: true },
      h("h3", {}, "Cancelar el evento"),
      h("p", { class: "note" }, "Se devuelve el dinero de todos los pedidos pagados y las entradas dejan de servir. No se puede deshacer."),
      h("label", { for: "cancel-reason" }, "Motivo (se informa a los compradores)"),
      h("textarea", { id: "cancel-reason", name: "reason", rows: 2, required: true, maxlength: 500 }),
      h("button", { type: "submit", class: "danger" }, "Cancelar el evento"),
    );
    cancel.addEventListener("submit", async (submitted) => {
      submitted.preventDefault();
      const reason = (cancel.elements.namedItem("reason") as HTMLTextAreaElement).value.trim();
      clearFieldErrors(cancel);
      if (!reason) {
        showFormError(cancel, new Error());
        cancel.querySelector(".form-error")!.textContent = "Escribe el motivo de la cancelación.";
        return;
      }
      if (!confirm(`¿Cancelar «${event.name}» y devolver todos los pedidos?`)) return;
      try {
        await api(`/api/v1/events/${event.id}/cancel`, { method: "POST", body: { reason } });
        reload();
      } catch (error) {
        showFormError(cancel, error);
      }
    });
    box.append(cancel);
  }
  if (event.status === "cancelled") {
    box.append(h("p", { class: "problem" }, "Este evento fue cancelado."));
    if (event.cancellation_reason) box.append(h("p", { class: "reason" }, "Motivo informado a los compradores: ", event.cancellation_reason));
  }
  return box;
}

function ticketTypes(event: CrowdEvent, editable: boolean): HTMLElement {
  const reload = () => window.dispatchEvent(new HashChangeEvent("hashchange"));
  const rows = event.ticket_types.map((type) => typeRow(event, type, editable, reload));
  const add = h(
    "form",
    { class: "card", id: "add-type", novalidate: true },
    h("h3", {}, "Agregar un tipo de entrada"),
    ...fieldInputs("new-type", TYPE_FIELDS, { max_per_order: 10 }),
    h("button", { type: "submit", class: "primary" }, "Agregar tipo de entrada"),
  );
  add.addEventListener("submit", async (submitted) => {
    submitted.preventDefault();
    try {
      await api<TicketType>(`/api/v1/events/${event.id}/ticket-types`, { method: "POST", body: readFields(add, TYPE_FIELDS, { omitEmpty: true }) });
      reload();
    } catch (error) {
      showFormError(add, error);
    }
  });
  return h(
    "section",
    {},
    h("h2", {}, "Tipos de entrada"),
    rows.length
      ? h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { id: "ticket-types" },
            h("thead", {}, h("tr", {}, ["Tipo", "Precio", "Capacidad", "Disponibles", "Por pedido", "Datos del niño", ""].map((t) => h("th", { scope: "col" }, t)))),
            h("tbody", {}, rows.flat()),
          ),
        )
      : h("p", {}, "Todavía no hay tipos de entrada."),
    editable ? add : null,
  );
}

function typeRow(event: CrowdEvent, type: TicketType, editable: boolean, reload: () => void): HTMLElement[] {
  const edit = h("form", { class: "card", novalidate: true, hidden: true, "data-type-form": type.id }, ...fieldInputs(`type-${type.id}`, TYPE_FIELDS, type as unknown as Record<string, unknown>), h("button", { type: "submit", class: "primary" }, "Guardar tipo"));
  edit.addEventListener("submit", async (submitted) => {
    submitted.preventDefault();
    try {
      await api(`/api/v1/events/${event.id}/ticket-types/${type.id}`, { method: "PATCH", body: readFields(edit, TYPE_FIELDS, { omitEmpty: false }) });
      reload();
    } catch (error) {
      showFormError(edit, error);
    }
  });
  const toggle = h("button", { type: "button", class: "link", "aria-expanded": "false" }, "Editar");
  toggle.addEventListener("click", () => {
    edit.hidden = !edit.hidden;
    toggle.setAttribute("aria-expanded", String(!edit.hidden));
  });
  return [
    h(
      "tr",
      { "data-type-id": type.id },
      h("td", {}, type.name),
      h("td", { class: "n" }, formatCLP(type.price)),
      h("td", { class: "n" }, formatCount(type.capacity)),
      h("td", { class: "n" }, type.available <= 0 ? h("strong", {}, "Agotado") : formatCount(type.available)),
      h("td", { class: "n" }, String(type.max_per_order)),
      h("td", {}, type.requires_child_details ? "Sí" : "No"),
      h("td", {}, editable ? toggle : null),
    ),
    h("tr", { class: "edit-row" }, h("td", { colspan: 7 }, edit)),
  ];
}
