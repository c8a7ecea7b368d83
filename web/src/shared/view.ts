// Screens every page shares: a problem explained in Spanish, field errors on their fields, the
// sign-in form.
import { NetworkError } from "./api";
import { SignInRefused, signIn, type Session } from "./auth";
import { h } from "./dom";
import { ApiError, type Problem } from "./problem";
import { describeProblem, fieldMessage, fieldPath } from "./problem-text";

/** The panel shown in place of a screen whose data could not be had. */
export function problemPanel(error: unknown, actions: { signIn?: () => void; back?: () => void } = {}): HTMLElement {
  if (error instanceof NetworkError) {
    return h(
      "section",
      { class: "problem", role: "alert", "data-problem": "network" },
      h("h2", {}, "Sin conexión"),
      h("p", {}, error.timedOut ? "El servidor tardó demasiado en responder." : "No pudimos contactar al servidor. Revisa tu conexión."),
      h("button", { type: "button", onclick: () => location.reload() }, "Reintentar"),
    );
  }
  if (!(error instanceof ApiError)) throw error;
  const text = describeProblem(error.problem);
  return h(
    "section",
    { class: "problem", role: "alert", "data-problem": String(error.status) },
    h("h2", {}, text.title),
    h("p", {}, text.detail),
    error.problem.requestId ? h("p", { class: "note" }, `Código de la solicitud: ${error.problem.requestId}`) : null,
    text.action === "sign_in" && actions.signIn ? h("button", { type: "button", onclick: actions.signIn }, "Iniciar sesión") : null,
    text.action === "go_back" && actions.back ? h("button", { type: "button", onclick: actions.back }, "Volver") : null,
    text.action === "retry" ? h("button", { type: "button", onclick: () => location.reload() }, "Recargar") : null,
  );
}

export function clearFieldErrors(form: HTMLFormElement): void {
  for (const node of form.querySelectorAll(".field-error, .form-error")) node.remove();
  for (const input of form.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
  }
}

/** Put each message next to its field (by the input's name); the rest above the button. */
export function showFieldErrors(form: HTMLFormElement, problem: Problem): void {
  clearFieldErrors(form);
  const loose: string[] = [];
  for (const error of problem.fieldErrors) {
    const name = fieldPath(error);
    const input = form.querySelector<HTMLElement>(`[name="${CSS.escape(name)}"]`);
    if (!input) {
      loose.push(fieldMessage(error));
      continue;
    }
    markField(input, fieldMessage(error));
  }
  if (loose.length || !problem.fieldErrors.length) {
    const text = loose.length ? loose.join(". ") : describeProblem(problem).detail;
    form.querySelector("[type=submit]")?.before(h("p", { class: "form-error", role: "alert" }, text));
  }
  form.querySelector<HTMLElement>("[aria-invalid=true]")?.focus();
}

let fieldErrorSerial = 0;

export function markField(input: HTMLElement, message: string): void {
  const id = `field-error-${++fieldErrorSerial}`;
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", id);
  input.after(h("p", { class: "field-error", id }, message));
}

/** Any failure as a line above the form's button (field errors on their fields). */
export function showFormError(form: HTMLFormElement, error: unknown): void {
  if (error instanceof ApiError) {
    showFieldErrors(form, error.problem);
    return;
  }
  clearFieldErrors(form);
  const text =
    error instanceof SignInRefused ? error.message : error instanceof NetworkError ? "Sin conexión con el servidor. Intenta de nuevo." : "Algo falló. Intenta de nuevo.";
  form.querySelector("[type=submit]")?.before(h("p", { class: "form-error", role: "alert" }, text));
}

export function signInForm(title: string, onSignedIn: (session: Session) => void): HTMLElement {
  const form = h(
    "form",
    { class: "card narrow", id: "sign-in", novalidate: true },
    h("h1", {}, title),
    h("label", { for: "email" }, "Correo"),
    h("input", { id: "email", name: "email", type: "email", autocomplete: "username", required: true }),
    h("label", { for: "password" }, "Contraseña"),
    h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true }),
    h("button", { type: "submit", class: "primary" }, "Iniciar sesión"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button")!;
    const email = (form.elements.namedItem("email") as HTMLInputElement).value;
    const password = (form.elements.namedItem("password") as HTMLInputElement).value;
    clearFieldErrors(form);
    if (!email.includes("@")) return markField(form.elements.namedItem("email") as HTMLElement, "Escribe tu correo");
    if (!password) return markField(form.elements.namedItem("password") as HTMLElement, "Escribe tu contraseña");
    button.disabled = true;
    try {
      onSignedIn(await signIn(email, password));
    } catch (error) {
      showFormError(form, error);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}
