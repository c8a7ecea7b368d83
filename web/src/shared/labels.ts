// The API's status and role names as people read them.

export const ORDER_STATUS: Record<string, string> = {
  pending: "Reservando",
  awaiting_payment: "Esperando el pago",
  paid: "Pagado",
  rejected: "Rechazado",
  expired: "Vencido",
  cancelled: "Cancelado",
  refunded: "Devuelto",
  partially_refunded: "Devuelto en parte",
};

export const EVENT_STATUS: Record<string, string> = {
  draft: "Borrador",
  published: "Publicado",
  cancelled: "Cancelado",
};

export const TICKET_STATUS: Record<string, string> = { valid: "Válida", revoked: "Revocada" };

export const ROLE: Record<string, string> = {
  admin: "Administrador",
  coordinator: "Coordinador",
  scanner: "Control de acceso",
  user: "Comprador",
};

export const EMAIL_KIND: Record<string, string> = {
  tickets: "Entradas",
  order_expired: "Pedido vencido",
  refund: "Devolución",
  event_cancelled: "Evento cancelado",
};

export const EMAIL_STATUS: Record<string, string> = {
  pending: "Pendiente",
  sent: "Enviado",
  failed: "Falló",
  withdrawn: "Retirado",
};

/** Why an order was refused, in words a buyer understands. */
export const REFUSAL: Record<string, string> = {
  sold_out: "Se agotaron las entradas que elegiste. Prueba con otra cantidad u otro tipo.",
  limit_exceeded: "Superaste el máximo de entradas por pedido para ese tipo.",
  event_unavailable: "Este evento ya no está a la venta.",
  payment_unavailable: "No pudimos crear el pago en Mercado Pago. Intenta de nuevo en unos minutos.",
  hold_limit_exceeded: "Ya tienes el máximo de entradas reservadas sin pagar para este evento.",
  cancelled_by_buyer: "Cancelaste este pedido.",
};

export function label(table: Record<string, string>, value: string | null | undefined): string {
  return value ? (table[value] ?? value) : "—";
}

/** Mercado Pago payment states as the console shows them. */
export const PAYMENT_STATUS: Record<string, string> = {
  approved: "Aprobado",
  partially_refunded: "Devuelto en parte",
  refunded: "Devuelto",
  charged_back: "Contracargo",
};

/** Why money went back to a buyer. */
export const REFUND_CAUSE: Record<string, string> = {
  admin: "Devolución desde la consola",
  provider: "Devuelto en Mercado Pago",
  chargeback: "Contracargo del banco",
  late_payment: "Pago llegado tarde",
  event_cancelled: "Evento cancelado",
};
