// An order's Mercado Pago payment and its refunds (amount, cause, date, tickets), from admin-svc's
// read model. It learns of payments and refunds from messages a moment after purchase-svc, so the
// section refreshes itself while the order is on screen.
import { api } from "../shared/auth";
import { h } from "../shared/dom";
import { formatCLP, formatEventDateTime } from "../shared/i18n";
import { PAYMENT_STATUS, REFUND_CAUSE, label } from "../shared/labels";
import { ApiError } from "../shared/problem";
import { every, statusBadge, type ScreenContext } from "../shared/screen";

interface Payment {
  payment_id: string;
  status: string;
  amount: number | null;
  refunded: number;
  paid_at: string | null;
}

interface Refund {
  refund_id: string;
  amount: number | null;
  cause: string | null;
  full: boolean;
  ticket_ids: string[];
  refunded_at: string;
}

interface OrderMoney {
  payments: Payment[];
  refunds: Refund[];
}

const money = (amount: number | null) => (amount === null ? "—" : formatCLP(amount));

function table(id: string, headings: string[], rows: HTMLElement[]): HTMLElement {
  return h("div", { class: "table-wrap" }, h("table", { id }, h("thead", {}, h("tr", {}, headings.map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows)));
}

function render(detail: OrderMoney, ticketName: (id: string) => string): HTMLElement[] {
  const payments = detail.payments.map((p) =>
    h(
      "tr",
      { "data-payment-id": p.payment_id, "data-status": p.status },
      h("td", {}, p.payment_id),
      h("td", {}, statusBadge(p.status, label(PAYMENT_STATUS, p.status))),
      h("td", { class: "n" }, money(p.amount)),
      h("td", { class: "n" }, p.refunded ? formatCLP(p.refunded) : "—"),
      h("td", {}, p.paid_at ? formatEventDateTime(p.paid_at) : "—"),
    ),
  );
  const refunds = detail.refunds.map((r) =>
    h(
      "tr",
      { "data-refund-id": r.refund_id, "data-tickets": String(r.ticket_ids.length) },
      h("td", { class: "n" }, money(r.amount)),
      h("td", {}, label(REFUND_CAUSE, r.cause)),
      h("td", {}, formatEventDateTime(r.refunded_at)),
      h("td", {}, r.ticket_ids.length ? r.ticket_ids.map(ticketName).join(", ") : r.full ? "Todo el pedido" : "—", r.full && r.ticket_ids.length ? h("span", { class: "note" }, " (completa el pedido)") : null),
    ),
  );
  return [
    h("h3", {}, "Pagos (Mercado Pago)"),
    payments.length ? table("order-payments", ["Id de pago", "Estado", "Monto", "Devuelto", "Fecha"], payments) : h("p", {}, "Sin pagos."),
    h("h3", {}, "Devoluciones"),
    refunds.length ? table("order-refunds", ["Monto", "Causa", "Fecha", "Entradas"], refunds) : h("p", {}, "Sin devoluciones."),
  ];
}

/** The payments and refunds section of an order's page. */
export function paymentsSection(context: ScreenContext, orderId: string, ticketName: (id: string) => string): HTMLElement {
  const body = h("div", { "aria-live": "polite" }, h("p", { class: "note" }, "Cargando los pagos…"));
  const load = async () => {
    try {
      body.replaceChildren(...render(await api<OrderMoney>(`/api/v1/admin/orders/${encodeURIComponent(orderId)}`), ticketName));
    } catch (error) {
      // The read model has not heard of the order yet: it will in a moment.
      if (!(error instanceof ApiError && error.status === 404)) throw error;
      body.replaceChildren(h("p", { class: "note" }, "Los pagos de este pedido se muestran en unos segundos."));
    }
  };
  void load().catch(() => body.replaceChildren(h("p", { class: "note" }, "No pudimos leer los pagos; reintentamos en unos segundos.")));
  every(context, 5_000, load);
  return h("section", { id: "order-money", class: "card" }, h("h2", {}, "Pagos y devoluciones"), body);
}
