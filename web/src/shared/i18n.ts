// People-facing text is Spanish as spoken in Chile (es-CL); dates and times in the device's zone.
export const LOCALE = "es-CL";

const timeFormat = new Intl.DateTimeFormat(LOCALE, { hour: "2-digit", minute: "2-digit", hour12: false });
const dateTimeFormat = new Intl.DateTimeFormat(LOCALE, {
  day: "numeric",
  month: "short",
  hour: "2-digit",
  minute: "2-digit",
  hour12: false,
});
const relative = new Intl.RelativeTimeFormat(LOCALE, { numeric: "auto" });
const integer = new Intl.NumberFormat(LOCALE);

/** "20:41" */
export function formatTime(value: string | number | Date): string {
  return timeFormat.format(new Date(value));
}

/** "2 dic, 20:41" */
export function formatDateTime(value: string | number | Date): string {
  return dateTimeFormat.format(new Date(value));
}

/** "hace 3 minutos", "ahora" */
export function formatAge(since: number, now = Date.now()): string {
  const seconds = Math.round((since - now) / 1000);
  if (Math.abs(seconds) < 45) return relative.format(0, "second");
  const minutes = Math.round(seconds / 60);
  if (Math.abs(minutes) < 60) return relative.format(minutes, "minute");
  const hours = Math.round(minutes / 60);
  if (Math.abs(hours) < 48) return relative.format(hours, "hour");
  return relative.format(Math.round(hours / 24), "day");
}

export function formatCount(value: number): string {
  return integer.format(value);
}
