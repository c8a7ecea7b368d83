// An event's live dashboard (admin-svc): sales and revenue over time, revenue by ticket type, the
// order funnel and attendance by gate, refreshed every few seconds while the page is open; and the
// CSV downloads.
import { api, apiFile } from "../shared/auth";
import { barChart, lineChart } from "../shared/chart";
import { download, h } from "../shared/dom";
import { formatCLP, formatCount, formatEventDateTime, formatEventTime } from "../shared/i18n";
import { every, type ScreenContext } from "../shared/screen";
import { problemPanel } from "../shared/view";

const REFRESH_MS = 5_000;

interface Dashboard {
  event: { name: string; starts_at: string; status: string; venue: string | null } | null;
  sales: {
    tickets_sold: number;
    gross: number;
    refunded: number;
    net: number;
    over_time: { at: string; tickets: number; revenue: number }[];
    by_ticket_type: { ticket_type_id: string; name: string | null; tickets_sold: number; tickets_refunded: number; net: number }[];
  };
  funnel: { placed: number; held: number; paid: number; expired: number; cancelled: number; rejected: number; rejected_sold_out: number };
  refunds: { cause: string; count: number; amount: number }[];
  attendance: { tickets_issued: number; tickets_valid: number; admitted: number; by_gate: { gate: string; admitted: number }[] };
}

function figures(data: Dashboard): HTMLElement {
  const figure = (id: string, title: string, value: string) => h("div", {}, h("dt", {}, title), h("dd", { id }, value));
  return h(
    "dl",
    { class: "figures" },
    figure("sold", "Entradas vendidas", formatCount(data.sales.tickets_sold)),
    figure("gross", "Ventas brutas", formatCLP(data.sales.gross)),
    figure("refunded", "Devuelto", formatCLP(data.sales.refunded)),
    figure("net", "Ventas netas", formatCLP(data.sales.net)),
    figure("admitted", "Asistentes dentro", `${formatCount(data.attendance.admitted)} / ${formatCount(data.attendance.tickets_valid)}`),
  );
}

function charts(data: Dashboard): HTMLElement[] {
  const cumulative: { label: string; value: number }[] = [];
  let sold = 0;
  for (const point of data.sales.over_time) {
    sold += point.tickets;
    cumulative.push({ label: formatEventTime(point.at), value: sold });
  }
  const funnel = [
    { label: "Pedidos", value: data.funnel.placed },
    { label: "Reservados", value: data.funnel.held },
    { label: "Pagados", value: data.funnel.paid },
    { label: "Vencidos", value: data.funnel.expired },
    { label: "Cancelados", value: data.funnel.cancelled },
    { label: "Agotado al pedir", value: data.funnel.rejected_sold_out },
  ];
  const block = (id: string, title: string, chart: Node | null, empty: string) =>
    h("div", { class: "card", id }, h("h2", {}, title), chart ?? h("p", { class: "note" }, empty));
  return [
    block("chart-sales", "Entradas vendidas en el tiempo", cumulative.length ? lineChart("Entradas vendidas acumuladas", cumulative, formatCount) : null, "Aún no hay ventas."),
    block(
      "chart-revenue",
      "Ingresos netos por tipo de entrada",
      data.sales.by_ticket_type.length
        ? barChart("Ingresos netos por tipo", data.sales.by_ticket_type.map((t) => ({ label: t.name ?? "Tipo", value: t.net })), formatCLP)
        : null,
      "Aún no hay ventas.",
    ),
    block("chart-funnel", "Embudo de pedidos", barChart("Embudo de pedidos", funnel, formatCount), ""),
    block(
      "chart-gates",
      "Asistencia por puerta",
      data.attendance.by_gate.length ? barChart("Ingresos por puerta", data.attendance.by_gate.map((g) => ({ label: g.gate, value: g.admitted })), formatCount) : null,
      "Nadie ha entrado todavía.",
    ),
  ];
}

function csvButton(eventId: string, kind: "orders" | "attendees", text: string): HTMLElement {
  const button = h("button", { type: "button", id: `csv-${kind}` }, text);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const file = await apiFile(`/api/v1/admin/events/${eventId}/exports/${kind}.csv`);
      download(file.blob, file.filename ?? `${kind}.csv`);
    } catch (error) {
      button.after(problemPanel(error));
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

export async function dashboardScreen(context: ScreenContext, eventId: string): Promise<Node> {
  const path = `/api/v1/admin/events/${encodeURIComponent(eventId)}/dashboard`;
  let data = await api<Dashboard>(path);
  const live = h("div", { id: "live", "aria-live": "polite" }, figures(data), h("div", { class: "grid" }, charts(data)));
  const updated = h("p", { class: "note", id: "updated" }, `Actualizado ${formatEventTime(Date.now())} · se actualiza solo cada ${REFRESH_MS / 1000} s`);
  every(context, REFRESH_MS, async () => {
    data = await api<Dashboard>(path);
    live.replaceChildren(figures(data), h("div", { class: "grid" }, charts(data)));
    updated.textContent = `Actualizado ${formatEventTime(Date.now())} · se actualiza solo cada ${REFRESH_MS / 1000} s`;
  });
  return h(
    "section",
    { "data-event-id": eventId },
    h("h1", {}, data.event ? `Panel · ${data.event.name}` : "Panel del evento"),
    data.event ? h("p", {}, formatEventDateTime(data.event.starts_at), data.event.venue ? ` · ${data.event.venue}` : "") : null,
    h("nav", { class: "actions", "aria-label": "Este evento" }, h("a", { href: `#/eventos/${eventId}` }, "Editar evento"), h("a", { href: `#/eventos/${eventId}/puertas` }, "Puertas")),
    updated,
    live,
    h("div", { class: "card" }, h("h2", {}, "Descargas (CSV para Excel)"), h("div", { class: "actions" }, csvButton(eventId, "orders", "Pedidos (CSV)"), csvButton(eventId, "attendees", "Asistentes (CSV)"))),
  );
}
