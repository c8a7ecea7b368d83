// Published events, soonest first.
import { requestJson } from "../shared/api";
import { h } from "../shared/dom";
import { formatCLP, formatEventDateTime } from "../shared/i18n";
import type { ScreenContext } from "../shared/screen";
import type { CrowdEvent, Page } from "../shared/types";

export async function catalogue(_context: ScreenContext): Promise<Node> {
  // Anonymous on purpose: the public list is the same for everyone.
  const page = await requestJson<Page<CrowdEvent>>("/api/v1/events?status=published&page_size=100");
  const upcoming = page.items
    .filter((event) => new Date(event.starts_at).getTime() > Date.now() - 6 * 3600_000)
    .sort((a, b) => a.starts_at.localeCompare(b.starts_at));
  return h(
    "section",
    {},
    h("h1", {}, "Próximos eventos"),
    upcoming.length
      ? h(
          "ul",
          { class: "grid", id: "events", role: "list" },
          upcoming.map((event) => {
            const prices = event.ticket_types.map((t) => t.price);
            const soldOut = event.ticket_types.length > 0 && event.ticket_types.every((t) => t.available <= 0);
            return h(
              "li",
              { class: "card", "data-event-id": event.id },
              h("h2", {}, h("a", { href: `/eventos/${event.id}` }, event.name)),
              h("p", {}, formatEventDateTime(event.starts_at)),
              h("p", {}, [event.venue, event.city].filter(Boolean).join(", ")),
              prices.length ? h("p", {}, soldOut ? h("strong", {}, "Agotado") : `Desde ${formatCLP(Math.min(...prices))}`) : null,
            );
          }),
        )
      : h("p", {}, "No hay eventos a la venta por ahora."),
  );
}
