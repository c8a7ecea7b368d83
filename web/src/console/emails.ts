// The email log (notification-svc), newest first, with resend for tickets emails; one order's
// emails with #/correos?pedido=<id>.
import { api } from "../shared/auth";
import { h } from "../shared/dom";
import type { Email, Page } from "../shared/types";
import { emailTable } from "./orders";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function emailsScreen(): Promise<Node> {
  const query = new URLSearchParams(location.hash.split("?")[1] ?? "");
  const orderId = query.get("pedido")?.trim() ?? "";
  const params = new URLSearchParams({ page_size: "100" });
  if (UUID.test(orderId)) params.set("order_id", orderId);
  const page = await api<Page<Email>>(`/api/v1/notifications?${params}`);
  const filter = h(
    "form",
    { class: "card", id: "email-filter", role: "search" },
    h("label", { for: "emails-order" }, "Id del pedido"),
    h("input", { id: "emails-order", name: "pedido", value: orderId, autocomplete: "off", "aria-describedby": "emails-order-hint" }),
    h("p", { class: "note", id: "emails-order-hint" }, !orderId ? "Vacío: todos los correos." : UUID.test(orderId) ? "Solo los correos de este pedido." : "No es un id de pedido; se muestran todos los correos."),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Buscar")),
  );
  filter.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = (filter.elements.namedItem("pedido") as HTMLInputElement).value.trim();
    location.hash = value ? `#/correos?pedido=${encodeURIComponent(value)}` : "#/correos";
  });
  return h("section", { "data-order-id": params.get("order_id") }, h("h1", {}, "Correos enviados"), filter, h("p", { class: "note" }, `${page.total} correos`), emailTable(page.items));
}
