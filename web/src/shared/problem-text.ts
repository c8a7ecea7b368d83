// What a problem means to the person in front of the page, in Spanish: a title and a sentence for
// the screen, and a message for each field the API refused.
import type { FieldError, Problem } from "./problem";

export interface ProblemText {
  title: string;
  detail: string;
  /** What the person can do next. */
  action: "sign_in" | "go_back" | "retry" | "fix_fields" | "none";
}

// Machine codes the API sends whose meaning is worth saying precisely.
const BY_CODE: Record<string, string> = {
  hold_limit_exceeded: "Ya tienes el máximo de entradas reservadas sin pagar para este evento. Paga o cancela tus pedidos pendientes.",
  invalid_status_transition: "Este cambio no se puede hacer en el estado actual.",
  capacity_below_committed: "La capacidad no puede quedar por debajo de las entradas ya vendidas o reservadas.",
  event_cancelled: "El evento está cancelado y ya no se puede modificar.",
  nothing_to_refund: "No queda nada por devolver en este pedido.",
  invalid_tickets: "Alguna de las entradas elegidas no pertenece a este pedido o ya fue devuelta.",
  refund_refused: "Mercado Pago rechazó la devolución.",
  tickets_revoked: "Las entradas de este pedido fueron anuladas (devolución o cancelación): no hay nada que reenviar.",
  email_exists: "Ya existe una cuenta con ese correo.",
  own_role: "No puedes cambiar tu propio rol.",
  payment_provider_unavailable: "Mercado Pago no responde en este momento. Intenta de nuevo en unos minutos.",
  auth_unavailable: "No podemos verificar tu sesión en este momento. Intenta de nuevo en unos segundos.",
  rate_limited: "Demasiadas solicitudes seguidas. Espera un momento y vuelve a intentar.",
};

const BY_STATUS: Record<number, ProblemText> = {
  401: { title: "Tu sesión terminó", detail: "Inicia sesión de nuevo para continuar.", action: "sign_in" },
  403: { title: "No tienes permiso", detail: "Tu cuenta no puede hacer esto. Si crees que es un error, pide acceso a un administrador.", action: "go_back" },
  404: { title: "No encontrado", detail: "Lo que buscas no existe o no tienes acceso a él.", action: "go_back" },
  409: { title: "No se pudo completar", detail: "El estado cambió mientras tanto. Recarga y vuelve a intentar.", action: "retry" },
  422: { title: "Revisa los datos", detail: "Hay campos con errores: están marcados abajo.", action: "fix_fields" },
  429: { title: "Demasiadas solicitudes", detail: BY_CODE.rate_limited!, action: "retry" },
};

// Refusals that no reload or edit changes: the order or the event is already where it ends.
// Their 409 (or 422) keeps its status, but the screen offers no "Recargar" or form to fix.
const FINAL_CODES: ReadonlySet<string> = new Set(["tickets_revoked", "event_cancelled", "nothing_to_refund", "refund_refused"]);

export function describeProblem(problem: Problem): ProblemText {
  const known = BY_STATUS[problem.status];
  const byCode = problem.code ? BY_CODE[problem.code] : undefined;
  if (byCode && problem.code && FINAL_CODES.has(problem.code)) {
    return { title: "No se puede hacer", detail: byCode, action: "none" };
  }
  if (known) return byCode ? { ...known, detail: byCode } : known;
  if (problem.status >= 500) {
    return { title: "Servicio no disponible", detail: byCode ?? "Algo falló de nuestro lado. Intenta de nuevo en unos momentos.", action: "retry" };
  }
  return { title: "No se pudo completar", detail: byCode ?? "La solicitud no fue aceptada.", action: "none" };
}

const BY_TYPE: Record<string, string> = {
  missing: "Este campo es obligatorio",
  string_too_short: "Es demasiado corto",
  string_too_long: "Es demasiado largo",
  greater_than_equal: "El valor es demasiado bajo",
  greater_than: "El valor es demasiado bajo",
  less_than_equal: "El valor es demasiado alto",
  less_than: "El valor es demasiado alto",
  int_parsing: "Debe ser un número entero",
  int_type: "Debe ser un número entero",
  datetime_parsing: "La fecha no es válida",
  datetime_from_date_parsing: "La fecha no es válida",
  date_from_datetime_parsing: "La fecha no es válida",
  value_error: "El valor no es válido",
  uuid_parsing: "El identificador no es válido",
  enum: "Elige una de las opciones",
};

/** The field's message in Spanish: the API's own when it already speaks Spanish (RUT checks do). */
export function fieldMessage(error: FieldError): string {
  const own = error.message.replace(/^Value error, /, "");
  if (/[áéíóúñ¿¡]|\b(el|la|los|las|debe|no es)\b/i.test(own)) return own;
  if (/email/i.test(error.type ?? "") || /email/i.test(own)) return "El correo no es válido";
  return (error.type && BY_TYPE[error.type]) ?? "El valor no es válido";
}

/** `body.buyer.email` -> `buyer.email`: the name a form's input carries. */
export function fieldPath(error: FieldError): string {
  return error.field.replace(/^(body|query|path)\./, "");
}
