// The shop at /: published events, an event's page with checkout, the order page Mercado Pago sends
// buyers back to (/orders/{id}), and "my tickets". Screens are addresses of one page.
import "../shared/pages.css";
import { currentSession, onSessionChange, signOut } from "../shared/auth";
import { h } from "../shared/dom";
import { Screens, type Screen } from "../shared/screen";
import { catalogue } from "./catalogue";
import { eventPage } from "./event";
import { myTickets } from "./tickets";
import { navigate, setRouter } from "./navigation";
import { orderPage } from "./order";

const main = document.getElementById("main")!;
const nav = document.getElementById("nav")!;

const screens = new Screens(main, { signIn: () => navigate("/mis-entradas"), back: () => history.back() });

function renderNav(): void {
  const session = currentSession();
  const here = location.pathname;
  const link = (href: string, text: string) => h("a", { href, "aria-current": here === href ? "page" : null }, text);
  nav.replaceChildren(
    link("/", "Eventos"),
    link("/mis-entradas", "Mis entradas"),
    ...(session
      ? [h("button", { type: "button", class: "link", id: "sign-out", onclick: () => void signOut().then(() => navigate("/")) }, `Salir (${session.email})`)]
      : []),
  );
}

function pick(): [Screen, string] {
  const path = location.pathname;
  const order = /^\/orders\/([^/]+)$/.exec(path);
  if (order) return [(ctx) => orderPage(ctx, decodeURIComponent(order[1]!)), "order"];
  const event = /^\/eventos\/([^/]+)$/.exec(path);
  if (event) return [(ctx) => eventPage(ctx, decodeURIComponent(event[1]!)), "event"];
  if (path === "/mis-entradas") return [(ctx) => myTickets(ctx), "my-tickets"];
  return [(ctx) => catalogue(ctx), "catalogue"];
}

async function route(): Promise<void> {
  renderNav();
  const [screen, name] = pick();
  await screens.show(screen, name);
}

// Links inside the shop move between screens without reloading the page.
document.addEventListener("click", (event) => {
  const link = (event.target as Element).closest("a");
  if (!link || link.target || link.hasAttribute("download") || event.ctrlKey || event.metaKey || event.shiftKey) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/console") || url.pathname.startsWith("/scanner")) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener("popstate", () => void route());
setRouter(() => void route());
onSessionChange(() => renderNav());
void route();
