// Published events, soonest first.
import { requestJson } from "../shared/api";
import { h } from "../shared/dom";
import { formatCLP, formatEventDateTime } from "../shared/i18n";
import type { ScreenContext } from "../shared/screen";
import type { CrowdEvent, Page } from "../shared/types";

export async function catalogue(_context: ScreenContext): Promise<Node> {
  const upcoming = (await upcomingEvents()).sort((a, b) => a.starts_at.localeCompare(b.starts_at));
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

const PAGE_SIZE = 100;
// A bound on what one visit loads; a promoter's shop lists far fewer upcoming events.
const MAX_PAGES = 20;

/** Every published event that has not ended long ago (from six hours before now, so tonight's
 * show stays listed while its doors are open), page by page: past events never crowd out the
 * upcoming ones. Anonymous on purpose: the public list is the same for everyone. */
async function upcomingEvents(): Promise<CrowdEvent[]> {
  const from = new Date(Date.now() - 6 * 3600_000).toISOString();
  const events: CrowdEvent[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const query = new URLSearchParams({ status: "published", from, page: String(page), page_size: String(PAGE_SIZE) });
    const answer = await requestJson<Page<CrowdEvent>>(`/api/v1/events?${query}`);
    events.push(...answer.items);
    if (answer.items.length < PAGE_SIZE || events.length >= answer.total) break;
  }
  return events;
}
