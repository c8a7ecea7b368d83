// An event's page: its ticket types with live availability, and checkout. One Idempotency-Key per
// attempt: a double click, or a retry after a lost answer, finds the order already placed instead
// of placing another; changing the form starts a new attempt.
import { requestJson } from "../shared/api";
import { api, currentSession } from "../shared/auth";
import { h, newIdempotencyKey, type Child } from "../shared/dom";
import { formatCLP, formatCount, formatEventDateTime } from "../shared/i18n";
import { REFUSAL, label } from "../shared/labels";
import { RUT_MESSAGES, rutProblem } from "../shared/rut";
import { every, type ScreenContext } from "../shared/screen";
import type { CrowdEvent, Order, TicketType } from "../shared/types";
import { clearFieldErrors, markField, showFormError } from "../shared/view";
import { navigate, needSignIn } from "./navigation";

const REFRESH_MS = 10_000;

function availabilityText(type: TicketType): string {
  if (type.available <= 0) return "Agotado";
  if (type.available <= 10) return `Quedan ${formatCount(type.available)}`;
  return "Disponible";
}

function childFieldset(type: TicketType, index: number): HTMLElement {
  const id = (field: string) => `child-${type.id}-${index}-${field}`;
  return h(
    "fieldset",
    { class: "attendee", "data-type": type.id, "data-index": String(index) },
    h("legend", {}, `${type.name} · entrada ${index + 1}: datos del niño o niña`),
    h("label", { for: id("name") }, "Nombre de quien asiste"),
    h("input", { id: id("name"), "data-field": "name", required: true, maxlength: 200, autocomplete: "off" }),
    h("label", { for: id("nombre") }, "Nombre del niño o niña"),
    h("input", { id: id("nombre"), "data-field": "child.nombre", required: true, maxlength: 200, autocomplete: "off" }),
    h("label", { for: id("rut") }, "RUT"),
    h("input", { id: id("rut"), "data-field": "child.rut", required: true, maxlength: 14, placeholder: "12.345.678-5", autocomplete: "off", inputmode: "text" }),
    h("label", { for: id("birth") }, "Fecha de nacimiento"),
    h("input", { id: id("birth"), "data-field": "child.fecha_nacimiento", type: "date", required: true }),
  );
}

/** A ticket type's card: its name, its description and what can be done with it. */
function ticketCard(type: TicketType, offer: Child[]): HTMLElement {
  return h("div", { class: "card ticket-type", "data-type": type.id }, h("h3", {}, type.name), type.description ? h("p", {}, type.description) : null, offer);
}

export async function eventPage(context: ScreenContext, eventId: string): Promise<Node> {
  let event = await requestJson<CrowdEvent>(`/api/v1/events/${encodeURIComponent(eventId)}`);
  const session = currentSession();
  const onSale = event.status === "published";

  const header = h(
    "section",
    {},
    h("h1", {}, event.name),
    h("p", {}, formatEventDateTime(event.starts_at)),
    h("p", {}, [event.venue, event.city].filter(Boolean).join(", ")),
    event.description ? h("p", {}, event.description) : null,
    event.status === "cancelled"
      ? h(
          "div",
          { class: "problem", role: "alert", id: "cancelled" },
          h("p", {}, "Este evento fue cancelado."),
          event.cancellation_reason ? h("p", { class: "reason" }, "Motivo: ", event.cancellation_reason) : null,
          h("p", {}, "Si compraste entradas, te devolvemos el total al mismo medio de pago y te avisamos por correo."),
        )
      : null,
  );
  if (!onSale) {
    // An event not on sale (cancelled) lists what it had, without availability or a quantity to
    // choose: nothing on the page may suggest it can still be bought.
    const closed = event.ticket_types.map((type) => ticketCard(type, [h("p", {}, h("strong", {}, formatCLP(type.price)), " · Sin venta")]));
    return h("div", {}, header, closed);
  }

  const rows = event.ticket_types.map((type) => {
    const quantity = h("input", {
      id: `qty-${type.id}`,
      class: "quantity",
      type: "number",
      min: 0,
      max: Math.min(type.max_per_order, Math.max(type.available, 0)),
      value: 0,
      inputmode: "numeric",
      "data-type": type.id,
      disabled: type.available <= 0,
    });
    const children = h("div", { class: "children" });
    if (type.requires_child_details) {
      quantity.addEventListener("input", () => {
        const wanted = Math.max(0, Math.min(Number(quantity.value) || 0, type.max_per_order));
        while (children.children.length > wanted) children.lastElementChild!.remove();
        while (children.children.length < wanted) children.append(childFieldset(type, children.children.length));
      });
    }
    const available = h("span", { class: "availability", "data-available": String(type.available) }, availabilityText(type));
    const offer = [
      h("p", {}, h("strong", {}, formatCLP(type.price)), " · ", available, ` · máximo ${type.max_per_order} por pedido`),
      type.requires_child_details ? h("p", { class: "note" }, "Esta entrada pide nombre, RUT y fecha de nacimiento del niño o niña.") : null,
      h("label", { for: `qty-${type.id}` }, `Cantidad de ${type.name}`),
      quantity,
      children,
    ];
    const row = ticketCard(type, offer);
    return { type, row, quantity, available, children };
  });

  // Live availability while the page is open.
  every(context, REFRESH_MS, async () => {
    event = await requestJson<CrowdEvent>(`/api/v1/events/${encodeURIComponent(eventId)}`);
    for (const entry of rows) {
      const fresh = event.ticket_types.find((t) => t.id === entry.type.id);
      if (!fresh) continue;
      entry.available.textContent = availabilityText(fresh);
      entry.available.dataset.available = String(fresh.available);
      entry.quantity.max = String(Math.min(fresh.max_per_order, Math.max(fresh.available, 0)));
      if (fresh.available <= 0 && Number(entry.quantity.value) === 0) entry.quantity.disabled = true;
    }
  });

  const total = h("p", { class: "total", id: "total", "aria-live": "polite" }, "Total: ", formatCLP(0));
  const refusal = h("div", { id: "refusal", role: "alert" });
  const form = h(
    "form",
    { id: "checkout", novalidate: true },
    h("h2", {}, "Entradas"),
    rows.map((r) => r.row),
    h(
      "fieldset",
      {},
      h("legend", {}, "Tus datos"),
      h("label", { for: "buyer-name" }, "Nombre y apellido"),
      h("input", { id: "buyer-name", name: "buyer.name", required: true, maxlength: 200, autocomplete: "name" }),
      h("p", { class: "note", id: "buyer-email" }, `Te enviaremos las entradas a ${session?.email ?? "tu correo"}, el correo de tu cuenta.`),
    ),
    total,
    refusal,
    h("button", { type: "submit", class: "primary", id: "pay" }, "Ir a pagar con Mercado Pago"),
  );
  const updateTotal = () => {
    const sum = rows.reduce((acc, r) => acc + (Number(r.quantity.value) || 0) * r.type.price, 0);
    total.replaceChildren("Total: ", formatCLP(sum));
  };

  // The attempt's key: kept across clicks until the form changes.
  let attemptKey: string | null = null;
  form.addEventListener("input", () => {
    attemptKey = null;
    updateTotal();
  });

  form.addEventListener("submit", async (submitted) => {
    submitted.preventDefault();
    const button = form.querySelector<HTMLButtonElement>("#pay")!;
    if (button.disabled) return;
    refusal.replaceChildren();
    const body = orderBody(form, rows, event.id);
    if (!body) return;
    attemptKey ??= newIdempotencyKey();
    button.disabled = true;
    button.textContent = "Reservando tus entradas…";
    try {
      const order = await api<Order>("/api/v1/purchases?wait=10", { method: "POST", body, headers: { "Idempotency-Key": attemptKey } });
      if (order.status === "awaiting_payment" && order.payment_link) {
        location.assign(order.payment_link);
        return;
      }
      if (order.status === "rejected") {
        attemptKey = null;
        refusal.replaceChildren(h("p", { class: "problem" }, label(REFUSAL, order.reason) === "—" ? "No pudimos reservar tus entradas." : label(REFUSAL, order.reason)));
      } else {
        navigate(`/orders/${order.id}`);
        return;
      }
    } catch (error) {
      showFormError(form, error);
    }
    button.disabled = false;
    button.textContent = "Ir a pagar con Mercado Pago";
  });

  const checkout = session ? form : h("div", {}, rows.map((r) => r.row), needSignIn("Inicia sesión para comprar"));
  return h("div", {}, header, checkout);
}

interface Row {
  type: TicketType;
  quantity: HTMLInputElement;
  children: HTMLElement;
}

/** The order as the API takes it, with input names set to the API's field paths (for its 422s). */
function orderBody(form: HTMLFormElement, rows: Row[], eventId: string): Record<string, unknown> | null {
  clearFieldErrors(form);
  const items: Record<string, unknown>[] = [];
  let ok = true;
  for (const row of rows) {
    const quantity = Number(row.quantity.value) || 0;
    if (quantity <= 0) continue;
    const index = items.length;
    row.quantity.name = `items.${index}.quantity`;
    if (quantity > Number(row.quantity.max)) {
      markField(row.quantity, `Puedes llevar hasta ${row.quantity.max}`);
      ok = false;
    }
    const item: Record<string, unknown> = { ticket_type_id: row.type.id, quantity };
    if (row.type.requires_child_details) {
      item.attendees = [...row.children.querySelectorAll<HTMLFieldSetElement>("fieldset.attendee")].map((set, j) => {
        const value = (field: string) => {
          const input = set.querySelector<HTMLInputElement>(`[data-field="${field}"]`)!;
          input.name = `items.${index}.attendees.${j}.${field}`;
          if (!input.value.trim()) {
            markField(input, "Este campo es obligatorio");
            ok = false;
          }
          return input.value.trim();
        };
        const name = value("name");
        const nombre = value("child.nombre");
        const rut = value("child.rut");
        const birth = value("child.fecha_nacimiento");
        const problem = rut ? rutProblem(rut) : null;
        if (problem) {
          markField(set.querySelector(`[data-field="child.rut"]`)!, RUT_MESSAGES[problem]);
          ok = false;
        }
        return { name, child: { nombre, rut, fecha_nacimiento: birth } };
      });
    }
    items.push(item);
  }
  const name = form.querySelector<HTMLInputElement>("#buyer-name")!;
  if (!name.value.trim()) {
    markField(name, "Escribe tu nombre");
    ok = false;
  }
  if (!items.length) {
    form.querySelector("#pay")!.before(h("p", { class: "form-error", role: "alert" }, "Elige al menos una entrada."));
    ok = false;
  }
  if (!ok) {
    form.querySelector<HTMLElement>("[aria-invalid=true]")?.focus();
    return null;
  }
  // No address: the emails go to the account's verified one.
  return { event_id: eventId, buyer: { name: name.value.trim() }, items };
}
