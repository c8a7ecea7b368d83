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

// The console and the shop speak of events in Chile: dates in America/Santiago whatever the
// device's zone, amounts in Chilean pesos (no decimals).
export const EVENT_TIME_ZONE = "America/Santiago";

const pesos = new Intl.NumberFormat(LOCALE, { style: "currency", currency: "CLP", maximumFractionDigits: 0 });
const eventDateTime = new Intl.DateTimeFormat(LOCALE, {
  timeZone: EVENT_TIME_ZONE,
  weekday: "short",
  day: "numeric",
  month: "short",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hour12: false,
});
const eventTime = new Intl.DateTimeFormat(LOCALE, { timeZone: EVENT_TIME_ZONE, hour: "2-digit", minute: "2-digit", hour12: false });
const wallClockParts = new Intl.DateTimeFormat("en-US", {
  timeZone: EVENT_TIME_ZONE,
  hourCycle: "h23",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

/** "$12.000" (CLP has no minor unit: the API's integer amounts are pesos). */
export function formatCLP(amount: number): string {
  return pesos.format(amount);
}

/** "sáb, 19 dic 2026, 21:00" in Santiago. */
export function formatEventDateTime(value: string | number | Date): string {
  return eventDateTime.format(new Date(value));
}

/** "21:00" in Santiago. */
export function formatEventTime(value: string | number | Date): string {
  return eventTime.format(new Date(value));
}

function santiagoOffsetMs(instant: number): number {
  const parts = Object.fromEntries(wallClockParts.formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(+parts.year!, +parts.month! - 1, +parts.day!, +parts.hour!, +parts.minute!, +parts.second!);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** A `datetime-local` value ("2026-12-19T21:00") read as Santiago's wall clock, as an ISO instant. */
export function santiagoInputToIso(local: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(local);
  if (!match) throw new RangeError(`not a datetime-local value: ${local}`);
  const [, y, mo, d, h, mi] = match.map(Number) as [number, number, number, number, number, number];
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  // The offset at the guessed instant, then again at the corrected one (DST changes in between).
  let instant = wall - santiagoOffsetMs(wall);
  instant = wall - santiagoOffsetMs(instant);
  return new Date(instant).toISOString();
}

/** An instant as a `datetime-local` value on Santiago's wall clock. */
export function isoToSantiagoInput(value: string): string {
  const instant = new Date(value).getTime();
  return new Date(instant + santiagoOffsetMs(instant)).toISOString().slice(0, 16);
}

const pad2 = (n: number) => String(n).padStart(2, "0");

/** An instant as the console's date fields show it: Santiago's wall clock, es-CL ("19-12-2026 21:00"). */
export function isoToSantiagoText(value: string): string {
  const [date, time] = isoToSantiagoInput(value).split("T") as [string, string];
  const [year, month, day] = date.split("-");
  return `${day}-${month}-${year} ${time}`;
}

/** "19-12-2026 21:00" (or with "/" or ".", one-digit day, month or hour) read on Santiago's
 * clock, as an ISO instant; null when it is not a date and time that exists. */
export function santiagoTextToIso(text: string): string | null {
  const match = /^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}),?\s+(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!match) return null;
  const [, day, month, year, hour, minute] = match.map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59) return null;
  return santiagoInputToIso(`${year}-${pad2(month)}-${pad2(day)}T${pad2(hour)}:${pad2(minute)}`);
}
