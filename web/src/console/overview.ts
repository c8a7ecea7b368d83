// The admin's first screen: today's sales, events on sale, doors opening in the next days.
import { api } from "../shared/auth";
import { h } from "../shared/dom";
import { formatCLP, formatCount, formatEventDateTime } from "../shared/i18n";
import { every, type ScreenContext } from "../shared/screen";

interface Platform {
  today: { date: string; sales: { currency: string; orders: number; tickets: number; revenue: number }[] };
  events_on_sale: { event_id: string; name: string; starts_at: string; tickets_sold: number; venue: string | null }[];
  upcoming_doors: { event_id: string; name: string; starts_at: string; tickets_valid: number; admitted: number }[];
}

function render(data: Platform): HTMLElement {
  const clp = data.today.sales.find((s) => s.currency === "CLP") ?? { orders: 0, tickets: 0, revenue: 0 };
  return h(
    "div",
    { id: "overview" },
    h(
      "dl",
      { class: "figures" },
      h("div", {}, h("dt", {}, "Pedidos pagados hoy"), h("dd", {}, formatCount(clp.orders))),
      h("div", {}, h("dt", {}, "Entradas vendidas hoy"), h("dd", {}, formatCount(clp.tickets))),
      h("div", {}, h("dt", {}, "Ventas de hoy"), h("dd", {}, formatCLP(clp.revenue))),
    ),
    h("h2", {}, "A la venta"),
    data.events_on_sale.length
      ? h("ul", {}, data.events_on_sale.map((e) => h("li", {}, h("a", { href: `#/eventos/${e.event_id}/panel` }, e.name), ` · ${formatEventDateTime(e.starts_at)} · ${formatCount(e.tickets_sold)} vendidas`)))
      : h("p", {}, "Ningún evento a la venta."),
    h("h2", {}, "Puertas en los próximos 7 días"),
    data.upcoming_doors.length
      ? h("ul", {}, data.upcoming_doors.map((e) => h("li", {}, h("a", { href: `#/eventos/${e.event_id}/puertas` }, e.name), ` · ${formatEventDateTime(e.starts_at)} · ${formatCount(e.admitted)} de ${formatCount(e.tickets_valid)} dentro`)))
      : h("p", {}, "Ninguna."),
  );
}

export async function overviewScreen(context: ScreenContext): Promise<Node> {
  const holder = h("div", {}, render(await api<Platform>("/api/v1/admin/dashboard")));
  every(context, 10_000, async () => {
    holder.replaceChildren(render(await api<Platform>("/api/v1/admin/dashboard")));
  });
  return h("section", {}, h("h1", {}, "Resumen de hoy"), holder, h("p", {}, h("a", { href: "#/eventos", class: "button" }, "Ver eventos")));
}
