// The order page Mercado Pago sends buyers back to: it follows the order while the page is open,
// from "waiting for payment" (with the time left to pay) to paid, and then shows each ticket's QR
// code, its PDF and the "send the email again" button. Revoked tickets say so.
import { requestJson } from "../shared/api";
import { api, apiFile, currentSession } from "../shared/auth";
import { remaining } from "../shared/countdown";
import { download, h, newIdempotencyKey } from "../shared/dom";
import { formatCLP, formatEventDateTime } from "../shared/i18n";
import { ORDER_STATUS, REFUSAL, TICKET_STATUS, label } from "../shared/labels";
import { every, statusBadge, type ScreenContext } from "../shared/screen";
import type { CrowdEvent, Order, OrderTicket } from "../shared/types";
import { problemPanel } from "../shared/view";
import { needSignIn } from "./navigation";
import QRCode from "qrcode";

const POLL_MS = 2_000;
const SETTLED_POLL_MS = 10_000;
const OPEN = new Set(["pending", "awaiting_payment"]);

function ticketCount(order: Order): number {
  return order.items.reduce((sum, item) => sum + item.quantity, 0);
}

/** Still changing: unpaid, or paid with tickets still being issued. */
function moving(order: Order): boolean {
  return OPEN.has(order.status) || (order.status === "paid" && order.tickets.length < ticketCount(order));
}

async function ticketCard(ticket: OrderTicket, typeName: string): Promise<HTMLElement> {
  const revoked = ticket.status === "revoked";
  const qr = revoked
    ? h("p", { class: "problem" }, "Esta entrada fue revocada y no sirve para entrar.")
    : h("img", {
        class: "qr",
        src: await QRCode.toDataURL(ticket.qr_payload, { errorCorrectionLevel: "M", margin: 2, width: 440 }),
        alt: `Código QR de la entrada de ${ticket.holder_name}`,
        "data-qr": ticket.qr_payload,
      });
  const pdf = h("button", { type: "button", class: "pdf" }, "Descargar PDF");
  pdf.addEventListener("click", async () => {
    pdf.disabled = true;
    try {
      const file = await apiFile(`/api/v1/tickets/${ticket.id}/pdf`);
      download(file.blob, file.filename ?? `entrada-${ticket.id}.pdf`);
    } catch (error) {
      pdf.after(problemPanel(error));
    } finally {
      pdf.disabled = false;
    }
  });
  return h(
    "li",
    { class: "card ticket", "data-ticket-id": ticket.id, "data-status": ticket.status },
    h("h3", {}, typeName),
    h("p", {}, ticket.holder_name, " · ", statusBadge(ticket.status, label(TICKET_STATUS, ticket.status))),
    qr,
    revoked ? null : h("div", { class: "actions" }, pdf),
  );
}

export async function orderPage(context: ScreenContext, orderId: string): Promise<Node> {
  if (!currentSession()) return needSignIn("Inicia sesión para ver tu pedido");
  let order = await api<Order>(`/api/v1/purchases/${encodeURIComponent(orderId)}`);
  const event = await requestJson<CrowdEvent>(`/api/v1/events/${order.event_id}`).catch(() => null);
  const typeName = (id: string) => event?.ticket_types.find((t) => t.id === id)?.name ?? "Entrada";
  const returned = new URLSearchParams(location.search).get("collection_status");

  const root = h("section", { id: "order", "data-order-id": order.id });
  const countdown = h("p", { class: "countdown", id: "countdown", "aria-live": "off" });
  let shown = "";

  const render = async () => {
    const fingerprint = JSON.stringify([order.status, order.tickets.map((t) => [t.id, t.status])]);
    if (fingerprint === shown) return;
    shown = fingerprint;
    root.dataset.status = order.status;
    const parts: (Node | null)[] = [
      h("h1", {}, "Tu pedido"),
      event ? h("p", {}, h("strong", {}, event.name), " · ", formatEventDateTime(event.starts_at)) : null,
      h("p", { id: "order-status", role: "status" }, "Estado: ", statusBadge(order.status, label(ORDER_STATUS, order.status))),
      h(
        "ul",
        {},
        order.items.map((item) => h("li", {}, `${item.quantity} × ${typeName(item.ticket_type_id)}`, item.unit_price !== null ? ` · ${formatCLP(item.unit_price)} c/u` : "")),
      ),
      order.total !== null ? h("p", {}, "Total: ", h("strong", {}, formatCLP(order.total))) : null,
    ];
    if (order.status === "pending") parts.push(h("p", { class: "notice" }, "Estamos reservando tus entradas…"));
    if (order.status === "awaiting_payment") {
      parts.push(
        returned === "approved"
          ? h("p", { class: "notice" }, "Mercado Pago aprobó tu pago. Estamos confirmándolo: esta página se actualiza sola.")
          : h("p", { class: "notice" }, "Tus entradas están reservadas mientras pagas."),
        h("p", {}, "Tiempo para pagar: ", countdown),
        order.payment_link ? h("p", {}, h("a", { href: order.payment_link, id: "pay-link" }, "Pagar con Mercado Pago")) : null,
      );
    }
    if (order.status === "rejected" || order.status === "expired" || order.status === "cancelled") {
      parts.push(h("p", { class: "problem", role: "alert" }, order.status === "expired" ? "Se acabó el tiempo para pagar y las entradas se liberaron." : label(REFUSAL, order.reason)));
    }
    if (order.status === "paid" && order.tickets.length < ticketCount(order)) {
      parts.push(h("p", { class: "notice" }, "¡Pago recibido! Estamos emitiendo tus entradas…"));
    }
    if (order.tickets.length) {
      parts.push(h("h2", {}, "Tus entradas"), h("ul", { class: "tickets", id: "tickets", role: "list" }, await Promise.all(order.tickets.map((t) => ticketCard(t, typeName(t.ticket_type_id))))));
      parts.push(resendBlock(order.id));
    }
    root.replaceChildren(...parts.filter((p): p is Node => p !== null));
    tick();
  };
  const tick = () => {
    if (order.status !== "awaiting_payment" || !order.expires_at) return;
    const left = remaining(order.expires_at);
    countdown.textContent = left.expired ? "vencido" : left.label;
  };

  await render();
  const countdownTimer = setInterval(tick, 1_000);
  context.onLeave(() => clearInterval(countdownTimer));
  // Quick while the order moves, slower once it settled (a refund can still revoke tickets).
  let last = 0;
  every(context, POLL_MS, async () => {
    if (!moving(order) && Date.now() - last < SETTLED_POLL_MS) return;
    last = Date.now();
    order = await api<Order>(`/api/v1/purchases/${encodeURIComponent(orderId)}`);
    await render();
  });
  return root;
}

function resendBlock(orderId: string): HTMLElement {
  const message = h("p", { role: "status", id: "resend-status" });
  const button = h("button", { type: "button", id: "resend" }, "Enviarme el correo de nuevo");
  let key: string | null = null;
  button.addEventListener("click", async () => {
    button.disabled = true;
    key ??= newIdempotencyKey();
    try {
      await api("/api/v1/notifications/resend", { method: "POST", body: { order_id: orderId }, headers: { "Idempotency-Key": key } });
      message.replaceChildren("Listo: te enviamos el correo con tus entradas otra vez.");
      key = null;
    } catch (error) {
      message.replaceChildren(problemPanel(error));
    } finally {
      button.disabled = false;
    }
  });
  const wholePdf = h("button", { type: "button", id: "order-pdf" }, "Descargar todas en PDF");
  wholePdf.addEventListener("click", async () => {
    wholePdf.disabled = true;
    try {
      const file = await apiFile(`/api/v1/purchases/${orderId}/pdf`);
      download(file.blob, file.filename ?? `entradas-${orderId}.pdf`);
    } catch (error) {
      message.replaceChildren(problemPanel(error));
    } finally {
      wholePdf.disabled = false;
    }
  });
  return h("div", { class: "actions" }, wholePdf, button, message);
}
