// "My tickets": every ticket the signed-in buyer holds, with a link to its order page.
import { requestJson } from "../shared/api";
import { api, currentSession } from "../shared/auth";
import { h } from "../shared/dom";
import { formatEventDateTime } from "../shared/i18n";
import { TICKET_STATUS, label } from "../shared/labels";
import { statusBadge, type ScreenContext } from "../shared/screen";
import type { CrowdEvent, OrderTicket, Page } from "../shared/types";
import { needSignIn } from "./navigation";

export async function myTickets(_context: ScreenContext): Promise<Node> {
  if (!currentSession()) return needSignIn("Inicia sesión para ver tus entradas");
  const page = await api<Page<OrderTicket & { issued_at: string }>>("/api/v1/tickets?page_size=100");
  const eventIds = [...new Set(page.items.map((t) => t.event_id))];
  const events = new Map<string, CrowdEvent>();
  await Promise.all(
    eventIds.map(async (id) => {
      const event = await requestJson<CrowdEvent>(`/api/v1/events/${id}`).catch(() => null);
      if (event) events.set(id, event);
    }),
  );
  const typeName = (t: OrderTicket) => events.get(t.event_id)?.ticket_types.find((x) => x.id === t.ticket_type_id)?.name ?? "Entrada";
  return h(
    "section",
    {},
    h("h1", {}, "Mis entradas"),
    page.items.length
      ? h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { id: "my-tickets" },
            h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Evento"), h("th", { scope: "col" }, "Entrada"), h("th", { scope: "col" }, "A nombre de"), h("th", { scope: "col" }, "Estado"), h("th", { scope: "col" }, "Pedido"))),
            h(
              "tbody",
              {},
              page.items.map((ticket) => {
                const event = events.get(ticket.event_id);
                return h(
                  "tr",
                  { "data-ticket-id": ticket.id },
                  h("td", {}, event ? `${event.name} · ${formatEventDateTime(event.starts_at)}` : "—"),
                  h("td", {}, typeName(ticket)),
                  h("td", {}, ticket.holder_name),
                  h("td", {}, statusBadge(ticket.status, label(TICKET_STATUS, ticket.status))),
                  h("td", {}, h("a", { href: `/orders/${ticket.order_id}` }, "Ver pedido y QR")),
                );
              }),
            ),
          ),
        )
      : h("p", {}, "Todavía no tienes entradas. ", h("a", { href: "/" }, "Ver eventos")),
  );
}
