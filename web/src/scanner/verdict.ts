// A verdict as the door sees it, whether the server decided it (online) or this device (offline),
// and how each one reads on screen, in Spanish.
import { formatTime } from "../shared/i18n";
import type { InvalidReason } from "./code";
import type { ScanResult } from "./store";

export interface Verdict {
  result: ScanResult;
  /** Decided on this device (no answer from the server); the scan waits in the queue. */
  offline: boolean;
  ticketId: string | null;
  holderName: string | null;
  ticketType: string | null;
  childName: string | null;
  firstEntryAt: string | null;
  firstEntryGate: string | null;
  /** Why a code is invalid, when the device checked it itself. */
  invalidReason: InvalidReason | null;
}

export interface VerdictText {
  title: string;
  detail: string;
  tone: "ok" | "stop" | "warn";
}

const INVALID_REASONS: Record<InvalidReason, string> = {
  malformed: "No es un código de entrada de Crowdify",
  unsupported_version: "Código de una versión que este escáner no conoce",
  unknown_kid: "Código firmado con una clave desconocida",
  bad_signature: "Firma falsa: el código fue alterado o inventado",
};

/** The title, detail line and colour of a verdict screen. */
export function describe(verdict: Verdict): VerdictText {
  switch (verdict.result) {
    case "admitted":
      return { title: "ADMITIDO", detail: "Puede entrar", tone: "ok" };
    case "already_used": {
      const when = verdict.firstEntryAt ? ` — entró ${formatTime(verdict.firstEntryAt)}` : "";
      const where = verdict.firstEntryGate ? ` por ${verdict.firstEntryGate}` : "";
      return {
        title: `YA USADO${when}${where}`,
        detail: verdict.firstEntryAt ? "Esta entrada ya se usó" : "Esta entrada ya se usó (hora no disponible sin conexión)",
        tone: "stop",
      };
    }
    case "invalid":
      return {
        title: "NO VÁLIDO",
        detail: verdict.invalidReason ? INVALID_REASONS[verdict.invalidReason] : "Entrada desconocida o código falso",
        tone: "stop",
      };
    case "revoked":
      return { title: "ANULADO", detail: "Entrada anulada o reembolsada: no puede entrar", tone: "stop" };
    case "wrong_event":
      return { title: "OTRO EVENTO", detail: "Esta entrada es de otro evento", tone: "stop" };
    case "exited":
      return { title: "SALIDA REGISTRADA", detail: "Puede volver a entrar con la misma entrada", tone: "ok" };
    case "not_inside":
      return { title: "NO ESTÁ ADENTRO", detail: "Esta entrada no registra ingreso: no hay salida que anotar", tone: "warn" };
  }
}
