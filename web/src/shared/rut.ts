// Chilean RUT as buyers type it for a child's ticket: checked here before the order is sent (the
// server checks again), shown as 12.345.678-5.
import { RutFormat, formatRut, isRutLike, validateRut } from "@fdograph/rut-utilities";

export type RutProblem = "format" | "check_digit" | null;

/** Why a typed RUT cannot be right, or null when it can. */
export function rutProblem(value: string): RutProblem {
  const typed = value.trim();
  if (!typed || !isRutLike(typed)) return "format";
  return validateRut(typed) ? null : "check_digit";
}

export function displayRut(value: string): string {
  return formatRut(value.trim(), RutFormat.DOTS_DASH);
}

export const RUT_MESSAGES: Record<Exclude<RutProblem, null>, string> = {
  format: "El RUT no tiene un formato válido (ejemplo: 12.345.678-5)",
  check_digit: "El dígito verificador del RUT no es válido",
};
