// The organiser console at /console/: screens by the address' fragment (#/eventos/…), navigation
// by role (admins see everything; coordinators their events, dashboards and door devices).
import "../shared/pages.css";
import { currentSession, onSessionChange, signOut, type Role } from "../shared/auth";
import { h } from "../shared/dom";
import { ROLE, label } from "../shared/labels";
import { Screens, type Screen } from "../shared/screen";
import { signInForm } from "../shared/view";
import { dashboardScreen } from "./dashboard";
import { devicesScreen } from "./devices";
import { emailsScreen } from "./emails";
import { editorScreen, eventsScreen } from "./events";
import { orderScreen, ordersScreen } from "./orders";
import { peopleScreen } from "./people";
import { overviewScreen } from "./overview";

const main = document.getElementById("main")!;
const nav = document.getElementById("nav")!;
const screens = new Screens(main, { signIn: () => void signOut().then(route), back: () => history.back() });

const STAFF: Role[] = ["admin", "coordinator"];

interface Section {
  href: string;
  text: string;
  roles: Role[];
}

const SECTIONS: Section[] = [
  { href: "#/", text: "Resumen", roles: ["admin"] },
  { href: "#/eventos", text: "Eventos", roles: STAFF },
  { href: "#/pedidos", text: "Pedidos", roles: ["admin"] },
  { href: "#/equipo", text: "Equipo y roles", roles: ["admin"] },
  { href: "#/correos", text: "Correos", roles: ["admin"] },
];

function renderNav(role: Role | null): void {
  const here = location.hash || "#/";
  const session = currentSession();
  nav.replaceChildren(
    ...(role
      ? SECTIONS.filter((s) => s.roles.includes(role)).map((s) =>
          h("a", { href: s.href, "aria-current": here === s.href || (s.href !== "#/" && here.startsWith(s.href)) ? "page" : null }, s.text),
        )
      : []),
    ...(session
      ? [
          h("span", { class: "who" }, `${session.email} · ${label(ROLE, session.role)}`),
          h("button", { type: "button", class: "link", id: "sign-out", onclick: () => void signOut().then(route) }, "Salir"),
        ]
      : []),
  );
}

function pick(path: string, role: Role): [Screen, string] | null {
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const [section, id, sub] = parts;
  if (!section) return role === "admin" ? [overviewScreen, "overview"] : [eventsScreen, "events"];
  if (section === "eventos") {
    if (!id) return [eventsScreen, "events"];
    if (id === "nuevo") return [(ctx) => editorScreen(ctx, null), "event-editor"];
    if (sub === "panel") return [(ctx) => dashboardScreen(ctx, id), "dashboard"];
    if (sub === "puertas") return [(ctx) => devicesScreen(ctx, id), "devices"];
    return [(ctx) => editorScreen(ctx, id), "event-editor"];
  }
  if (role !== "admin") return null;
  if (section === "pedidos") return id ? [(ctx) => orderScreen(ctx, id), "order"] : [ordersScreen, "orders"];
  if (section === "equipo") return [peopleScreen, "people"];
  if (section === "correos") return [emailsScreen, "emails"];
  return null;
}

const notFound: Screen = async () =>
  h("section", { class: "problem", role: "alert", "data-problem": "404" }, h("h2", {}, "No encontrado"), h("p", {}, "Esta página no existe."), h("a", { href: "#/" }, "Ir al inicio"));

const forbidden: Screen = async () =>
  h(
    "section",
    { class: "problem", role: "alert", "data-problem": "403" },
    h("h2", {}, "No tienes permiso"),
    h("p", {}, "La consola es para organizadores. Tu cuenta no tiene acceso; pide a un administrador que te asigne un rol."),
    h("p", {}, h("a", { href: "/" }, "Ir a la tienda")),
  );

async function route(): Promise<void> {
  const session = currentSession();
  renderNav(session && STAFF.includes(session.role) ? session.role : null);
  if (!session) {
    await screens.show(async () => signInForm("Consola de organizadores", () => void route()), "sign-in");
    return;
  }
  if (!STAFF.includes(session.role)) {
    await screens.show(forbidden, "forbidden");
    return;
  }
  const path = (location.hash || "#/").slice(1).split("?")[0] ?? "/";
  const picked = pick(path, session.role);
  if (!picked) {
    const known = SECTIONS.some((s) => path.startsWith(s.href.slice(1)) && s.href !== "#/");
    await screens.show(known ? forbidden : notFound, known ? "forbidden" : "not-found");
    return;
  }
  await screens.show(picked[0], picked[1]);
}

window.addEventListener("hashchange", () => void route());
onSessionChange(() => renderNav(currentSession()?.role ?? null));
void route();
