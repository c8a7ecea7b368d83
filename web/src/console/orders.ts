// Orders: search (by event, status, buyer id), and one order with its payment, tickets, emails, and
// refunds of the whole order or of chosen tickets.
import { api } from "../shared/auth";
import { h, newIdempotencyKey } from "../shared/dom";
import { formatCLP, formatEventDateTime } from "../shared/i18n";
import { EMAIL_KIND, EMAIL_STATUS, ORDER_STATUS, TICKET_STATUS, label } from "../shared/labels";
import { statusBadge, type ScreenContext } from "../shared/screen";
import type { CrowdEvent, Email, Order, Page } from "../shared/types";
import { clearFieldErrors, markField, showFormError } from "../shared/view";
import { paymentsSection } from "./payments";

export async function ordersScreen(): Promise<Node> {
  const query = new URLSearchParams(location.hash.split("?")[1] ?? "");
  const params = new URLSearchParams({ page_size: "50" });
  if (query.get("evento")) params.set("event_id", query.get("evento")!);
  if (query.get("estado")) params.set("status", query.get("estado")!);
  if (query.get("comprador")) params.set("user_id", query.get("comprador")!);
  const [page, events] = await Promise.all([api<Page<Order>>(`/api/v1/purchases?${params}`), api<Page<CrowdEvent>>("/api/v1/events?page_size=100")]);
  const eventName = new Map(events.items.map((e) => [e.id, e.name]));
  const filter = h(
    "form",
    { class: "card", id: "order-filter", role: "search" },
    h("label", { for: "orders-event" }, "Evento"),
    h("select", { id: "orders-event", name: "evento" }, h("option", { value: "" }, "Todos"), events.items.map((e) => h("option", { value: e.id, selected: query.get("evento") === e.id }, e.name))),
    h("label", { for: "orders-status" }, "Estado"),
    h("select", { id: "orders-status", name: "estado" }, h("option", { value: "" }, "Todos"), Object.entries(ORDER_STATUS).map(([v, t]) => h("option", { value: v, selected: query.get("estado") === v }, t))),
    h("label", { for: "orders-buyer" }, "Id del comprador"),
    h("input", { id: "orders-buyer", name: "comprador", value: query.get("comprador") ?? "", autocomplete: "off" }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Buscar")),
  );
  filter.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = new URLSearchParams();
    for (const [key, value] of new FormData(filter)) if (value) values.set(key, String(value));
    location.hash = `#/pedidos?${values}`;
  });
  return h(
    "section",
    {},
    h("h1", {}, "Pedidos"),
    filter,
    h("p", { class: "note" }, `${page.total} pedidos`),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { id: "order-list" },
        h("thead", {}, h("tr", {}, ["Pedido", "Evento", "Estado", "Total", "Creado"].map((t) => h("th", { scope: "col" }, t)))),
        h(
          "tbody",
          {},
          page.items.map((order) =>
            h(
              "tr",
              { "data-order-id": order.id },
              h("td", {}, h("a", { href: `#/pedidos/${order.id}` }, order.id.slice(0, 8))),
              h("td", {}, eventName.get(order.event_id) ?? order.event_id.slice(0, 8)),
              h("td", {}, statusBadge(order.status, label(ORDER_STATUS, order.status))),
              h("td", { class: "n" }, order.total === null ? "—" : formatCLP(order.total)),
              h("td", {}, formatEventDateTime(order.created_at)),
            ),
          ),
        ),
      ),
    ),
  );
}

export async function orderScreen(context: ScreenContext, orderId: string): Promise<Node> {
  const order = await api<Order>(`/api/v1/purchases/${encodeURIComponent(orderId)}`);
  const [event, emails] = await Promise.all([
    api<CrowdEvent>(`/api/v1/events/${order.event_id}`).catch(() => null),
    api<Page<Email>>(`/api/v1/notifications?order_id=${order.id}`).catch(() => null),
  ]);
  const typeName = (id: string) => event?.ticket_types.find((t) => t.id === id)?.name ?? "Entrada";
  const ticketName = (id: string) => {
    const ticket = order.tickets.find((t) => t.id === id);
    return ticket ? `${typeName(ticket.ticket_type_id)} · ${ticket.holder_name}` : id.slice(0, 8);
  };
  const reload = () => window.dispatchEvent(new HashChangeEvent("hashchange"));
  const refundable = order.status === "paid" || order.status === "partially_refunded";

  const refund = h(
    "form",
    { class: "card", id: "refund", novalidate: true },
    h("h2", {}, "Devolver"),
    h("p", { class: "note" }, "Marca las entradas a devolver (ninguna marcada: todo el pedido). Las entradas devueltas quedan revocadas."),
    h("label", { for: "refund-reason" }, "Motivo"),
    h("input", { id: "refund-reason", name: "reason", required: true, maxlength: 500 }),
    h("button", { type: "submit", class: "danger" }, "Devolver"),
  );
  let refundKey: string | null = null;
  refund.addEventListener("input", () => (refundKey = null));
  refund.addEventListener("submit", async (submitted) => {
    submitted.preventDefault();
    clearFieldErrors(refund);
    const reason = refund.querySelector<HTMLInputElement>("#refund-reason")!;
    if (!reason.value.trim()) return markField(reason, "Escribe el motivo de la devolución");
    const chosen = [...document.querySelectorAll<HTMLInputElement>("input[name=refund-ticket]:checked")].map((box) => box.value);
    const what = chosen.length ? `${chosen.length} entrada(s)` : "todo el pedido";
    if (!confirm(`¿Devolver ${what}? Se reembolsa por Mercado Pago y las entradas dejan de servir.`)) return;
    refundKey ??= newIdempotencyKey();
    const button = refund.querySelector<HTMLButtonElement>("[type=submit]")!;
    button.disabled = true;
    try {
      await api(`/api/v1/purchases/${order.id}/refunds`, {
        method: "POST",
        body: chosen.length ? { reason: reason.value.trim(), ticket_ids: chosen } : { reason: reason.value.trim() },
        headers: { "Idempotency-Key": refundKey },
      });
      reload();
    } catch (error) {
      showFormError(refund, error);
      button.disabled = false;
    }
  });

  const cancel = h("button", { type: "button", class: "danger", id: "cancel-order" }, "Cancelar el pedido (libera la reserva)");
  cancel.addEventListener("click", async () => {
    if (!confirm("¿Cancelar este pedido sin pagar?")) return;
    try {
      await api(`/api/v1/purchases/${order.id}/cancel`, { method: "POST" });
      reload();
    } catch (error) {
      const form = h("form", {}, h("button", { type: "submit", hidden: true }));
      cancel.after(form);
      showFormError(form, error);
    }
  });

  return h(
    "section",
    { "data-order-id": order.id, "data-status": order.status },
    h("h1", {}, `Pedido ${order.id.slice(0, 8)}`),
    h(
      "dl",
      { class: "figures" },
      h("div", {}, h("dt", {}, "Estado"), h("dd", { id: "order-status" }, statusBadge(order.status, label(ORDER_STATUS, order.status)))),
      h("div", {}, h("dt", {}, "Evento"), h("dd", {}, event?.name ?? "—")),
      h("div", {}, h("dt", {}, "Total"), h("dd", {}, order.total === null ? "—" : formatCLP(order.total))),
      h("div", {}, h("dt", {}, "Pago"), h("dd", {}, order.paid_at ? `Mercado Pago · ${formatEventDateTime(order.paid_at)}` : "Sin pago")),
    ),
    h("p", { class: "note" }, `Comprador (id): ${order.user_id} · creado ${formatEventDateTime(order.created_at)}`, order.reason ? ` · motivo: ${order.reason}` : ""),
    h("h2", {}, "Entradas"),
    order.tickets.length
      ? h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { id: "order-tickets" },
            h("thead", {}, h("tr", {}, ["", "Tipo", "A nombre de", "Estado"].map((t) => h("th", { scope: "col" }, t)))),
            h(
              "tbody",
              {},
              order.tickets.map((ticket) =>
                h(
                  "tr",
                  { "data-ticket-id": ticket.id, "data-status": ticket.status },
                  h("td", {}, refundable && ticket.status === "valid" ? h("input", { type: "checkbox", name: "refund-ticket", value: ticket.id, "aria-label": `Devolver la entrada de ${ticket.holder_name}` }) : null),
                  h("td", {}, typeName(ticket.ticket_type_id)),
                  h("td", {}, ticket.holder_name),
                  h("td", {}, statusBadge(ticket.status, label(TICKET_STATUS, ticket.status))),
                ),
              ),
            ),
          ),
        )
      : h("p", {}, "Sin entradas emitidas."),
    refundable ? refund : null,
    paymentsSection(context, order.id, ticketName),
    order.status === "awaiting_payment" || order.status === "pending" ? h("div", { class: "actions" }, cancel) : null,
    // A refunded or cancelled order's tickets no longer work. purchase-svc says so at once;
    // notification-svc's resendable follows when it has the message.
    emails ? emailTable(emails.items, order.status !== "refunded" && order.status !== "cancelled") : null,
  );
}

// Resend is offered where notification-svc says it would work: a tickets email whose order still
// has valid tickets (not refunded in full, not cancelled). `orderLive` is false where the caller
// knows better already: the order page, from the order's own status.
export function emailTable(emails: Email[], orderLive = true): HTMLElement {
  return h(
    "section",
    {},
    h("h2", {}, "Correos"),
    emails.length
      ? h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "emails" },
            h("thead", {}, h("tr", {}, ["Tipo", "Para", "Estado", "Intentos", "Creado", ""].map((t) => h("th", { scope: "col" }, t)))),
            h(
              "tbody",
              {},
              emails.map((email) =>
                h(
                  "tr",
                  { "data-email-id": email.id },
                  h("td", {}, label(EMAIL_KIND, email.kind)),
                  h("td", {}, email.to),
                  h("td", {}, statusBadge(email.status, label(EMAIL_STATUS, email.status)), email.last_error ? h("span", { class: "note" }, ` ${email.last_error}`) : null),
                  h("td", { class: "n" }, String(email.attempts)),
                  h("td", {}, formatEventDateTime(email.created_at)),
                  h("td", {}, orderLive && email.resendable ? resendButton(email.order_id) : null),
                ),
              ),
            ),
          ),
        )
      : h("p", {}, "Sin correos."),
  );
}

function resendButton(orderId: string): HTMLElement {
  const button = h("button", { type: "button", class: "resend" }, "Reenviar");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await api("/api/v1/notifications/resend", { method: "POST", body: { order_id: orderId }, headers: { "Idempotency-Key": newIdempotencyKey() } });
      button.textContent = "Reenviado";
    } catch (error) {
      const form = h("form", {}, h("button", { type: "submit", hidden: true }));
      button.after(form);
      showFormError(form, error);
      button.disabled = false;
    }
  });
  return button;
}
