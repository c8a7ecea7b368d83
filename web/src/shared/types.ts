// The API's answers as the pages read them (the services' OpenAPI documents are the reference).

export interface TicketType {
  id: string;
  event_id: string;
  name: string;
  description: string | null;
  price: number;
  currency: string;
  capacity: number;
  available: number;
  max_per_order: number;
  requires_child_details: boolean;
  sales_start: string | null;
  sales_end: string | null;
}

export interface CrowdEvent {
  id: string;
  name: string;
  description: string | null;
  venue: string | null;
  city: string | null;
  starts_at: string;
  ends_at: string | null;
  timezone: string;
  status: "draft" | "published" | "cancelled";
  capacity: number | null;
  hold_minutes: number;
  max_held_per_buyer: number | null;
  cancellation_reason: string | null;
  reentry_allowed: boolean;
  sales_start: string | null;
  sales_end: string | null;
  ticket_types: TicketType[];
}

export interface Page<T> {
  items: T[];
  page: number;
  page_size: number;
  total: number;
}

export interface OrderTicket {
  id: string;
  event_id: string;
  order_id: string;
  ticket_type_id: string;
  holder_name: string;
  qr_payload: string;
  status: string;
  pdf_url?: string | null;
  issued_at?: string;
  revoked_at?: string | null;
}

export interface Order {
  id: string;
  event_id: string;
  user_id: string;
  status: string;
  reason: string | null;
  total: number | null;
  currency: string;
  created_at: string;
  expires_at: string | null;
  paid_at: string | null;
  payment_link: string | null;
  items: { ticket_type_id: string; quantity: number; unit_price: number | null }[];
  tickets: OrderTicket[];
}

export interface Email {
  id: string;
  order_id: string;
  kind: string;
  to: string;
  status: string;
  attempts: number;
  created_at: string;
  sent_at: string | null;
  last_error: string | null;
  /** A tickets email whose order still has valid tickets: it can be sent again. */
  resendable: boolean;
}
