// The email log (notification-svc), newest first, with resend for tickets emails.
import { api } from "../shared/auth";
import { h } from "../shared/dom";
import type { Email, Page } from "../shared/types";
import { emailTable } from "./orders";

export async function emailsScreen(): Promise<Node> {
  const page = await api<Page<Email>>("/api/v1/notifications?page_size=100");
  return h("section", {}, h("h1", {}, "Correos enviados"), h("p", { class: "note" }, `${page.total} correos`), emailTable(page.items));
}
