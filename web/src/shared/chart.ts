// Small SVG charts for the console's dashboard, drawn by hand: four plain charts do not need a
// charting library, and inline SVG keeps to the pages' Content Security Policy (no inline styles,
// nothing fetched). ADR 0016 says why.
const SVG = "http://www.w3.org/2000/svg";

export interface Datum {
  label: string;
  value: number;
}

/** A round upper bound for an axis: 1, 2, 2.5 or 5 times a power of ten, at least `max`. */
export function niceCeiling(max: number): number {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= max) return step * power;
  }
  return 10 * power;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

function frame(title: string, width: number, height: number): SVGSVGElement {
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "chart", "aria-label": title });
  root.append(svg("title", {}, title));
  return root;
}

/** Horizontal bars, one per datum, each labelled with its formatted value. */
export function barChart(title: string, data: Datum[], format: (value: number) => string): SVGSVGElement {
  const row = 28;
  const width = 480;
  const labelWidth = 150;
  const height = Math.max(row, data.length * row) + 8;
  const root = frame(title, width, height);
  const top = niceCeiling(Math.max(0, ...data.map((d) => d.value)));
  data.forEach((datum, index) => {
    const y = 4 + index * row;
    const length = ((width - labelWidth - 90) * datum.value) / top;
    root.append(
      svg("text", { x: labelWidth - 6, y: y + 18, "text-anchor": "end", class: "chart-label" }, datum.label),
      svg("rect", { x: labelWidth, y: y + 4, width: Math.max(length, 1), height: row - 10, class: `chart-bar chart-bar-${index % 6}` }),
      svg("text", { x: labelWidth + length + 6, y: y + 18, class: "chart-value" }, format(datum.value)),
    );
  });
  return root;
}

/** A line over time (points in order), with the axis' top value and the first and last times. */
export function lineChart(title: string, points: Datum[], format: (value: number) => string): SVGSVGElement {
  const width = 480;
  const height = 180;
  const left = 70;
  const bottom = 24;
  const root = frame(title, width, height);
  const top = niceCeiling(Math.max(0, ...points.map((p) => p.value)));
  const x = (i: number) => left + (points.length < 2 ? (width - left) / 2 : ((width - left - 10) * i) / (points.length - 1));
  const y = (v: number) => 8 + (height - bottom - 8) * (1 - v / top);
  root.append(
    svg("line", { x1: left, y1: y(0), x2: width, y2: y(0), class: "chart-axis" }),
    svg("text", { x: left - 6, y: y(top) + 4, "text-anchor": "end", class: "chart-label" }, format(top)),
    svg("text", { x: left - 6, y: y(0) + 4, "text-anchor": "end", class: "chart-label" }, format(0)),
  );
  if (points.length) {
    const path = points.map((p, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");
    root.append(svg("path", { d: path, class: "chart-line" }));
    for (const [i, p] of points.entries()) root.append(svg("circle", { cx: x(i), cy: y(p.value), r: 3, class: "chart-dot" }));
    root.append(svg("text", { x: left, y: height - 6, class: "chart-label" }, points[0]!.label));
    if (points.length > 1) root.append(svg("text", { x: width, y: height - 6, "text-anchor": "end", class: "chart-label" }, points.at(-1)!.label));
  }
  return root;
}
