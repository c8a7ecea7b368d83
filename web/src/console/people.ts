// Staff and roles (admin-svc over Supabase Auth): search people, change a role, invite by email,
// and the audit log of who changed what.
import { api } from "../shared/auth";
import { h } from "../shared/dom";
import { formatEventDateTime } from "../shared/i18n";
import { ROLE, label } from "../shared/labels";
import type { Page } from "../shared/types";
import { showFormError } from "../shared/view";

interface User {
  id: string;
  email: string | null;
  role: string;
  created_at: string | null;
  last_sign_in_at: string | null;
}

interface Audit {
  id: string;
  at: string;
  action: string;
  actor_email: string | null;
  target_email: string | null;
  from_role: string | null;
  to_role: string;
}

const ROLES = ["admin", "coordinator", "scanner", "user"];

function roleSelect(user: User): HTMLElement {
  const select = h("select", { "aria-label": `Rol de ${user.email ?? user.id}`, name: "role" }, ROLES.map((r) => h("option", { value: r, selected: r === user.role }, label(ROLE, r))));
  const form = h("form", { class: "role-form", "data-user-id": user.id }, select, h("button", { type: "submit" }, "Cambiar"));
  form.addEventListener("submit", async (submitted) => {
    submitted.preventDefault();
    try {
      await api(`/api/v1/admin/users/${user.id}`, { method: "PATCH", body: { role: select.value } });
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    } catch (error) {
      showFormError(form, error);
    }
  });
  return form;
}

export async function peopleScreen(): Promise<Node> {
  const query = new URLSearchParams(location.hash.split("?")[1] ?? "");
  const params = new URLSearchParams({ per_page: "50" });
  if (query.get("buscar")) params.set("search", query.get("buscar")!);
  const [users, audit] = await Promise.all([
    api<Omit<Page<User>, "page_size"> & { per_page: number }>(`/api/v1/admin/users?${params}`),
    api<Page<Audit>>("/api/v1/admin/audit?page_size=20"),
  ]);
  const search = h(
    "form",
    { class: "card", role: "search", id: "people-search" },
    h("label", { for: "people-query" }, "Buscar por correo o nombre"),
    h("input", { id: "people-query", name: "buscar", value: query.get("buscar") ?? "" }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Buscar")),
  );
  search.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = (search.elements.namedItem("buscar") as HTMLInputElement).value.trim();
    location.hash = value ? `#/equipo?buscar=${encodeURIComponent(value)}` : "#/equipo";
  });
  const invite = h(
    "form",
    { class: "card", id: "invite", novalidate: true },
    h("h2", {}, "Invitar"),
    h("label", { for: "invite-email" }, "Correo"),
    h("input", { id: "invite-email", name: "email", type: "email", required: true }),
    h("label", { for: "invite-role" }, "Rol"),
    h("select", { id: "invite-role", name: "role" }, ROLES.map((r) => h("option", { value: r, selected: r === "scanner" }, label(ROLE, r)))),
    h("button", { type: "submit", class: "primary" }, "Enviar invitación"),
  );
  const invited = h("p", { role: "status" });
  invite.addEventListener("submit", async (submitted) => {
    submitted.preventDefault();
    const email = (invite.elements.namedItem("email") as HTMLInputElement).value.trim();
    const role = (invite.elements.namedItem("role") as HTMLSelectElement).value;
    try {
      await api("/api/v1/admin/users/invite", { method: "POST", body: { email, role } });
      invited.textContent = `Invitación enviada a ${email}.`;
      invite.reset();
    } catch (error) {
      showFormError(invite, error);
    }
  });
  return h(
    "section",
    { "data-search": query.get("buscar") },
    h("h1", {}, "Equipo y roles"),
    search,
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { id: "people" },
        h("thead", {}, h("tr", {}, ["Correo", "Rol", "Último ingreso"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, users.items.map((user) => h("tr", { "data-user-id": user.id }, h("td", {}, user.email ?? "—"), h("td", {}, roleSelect(user)), h("td", {}, user.last_sign_in_at ? formatEventDateTime(user.last_sign_in_at) : "nunca")))),
      ),
    ),
    invite,
    invited,
    h("h2", {}, "Cambios de rol recientes"),
    h(
      "ul",
      { id: "audit" },
      audit.items.map((entry) =>
        h("li", {}, `${formatEventDateTime(entry.at)}: ${entry.actor_email ?? "—"} cambió a ${entry.target_email ?? "—"} de ${label(ROLE, entry.from_role)} a ${label(ROLE, entry.to_role)}`),
      ),
    ),
  );
}
