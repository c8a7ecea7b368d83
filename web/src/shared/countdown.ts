// How long an unpaid order keeps its tickets: the order page counts down to expires_at.

export interface Remaining {
  /** Milliseconds left, never negative. */
  ms: number;
  expired: boolean;
  /** "14:05" (minutes:seconds), or "1:02:03" past an hour. */
  label: string;
}

export function remaining(expiresAt: string | number | Date, now: number = Date.now()): Remaining {
  const ms = Math.max(0, new Date(expiresAt).getTime() - now);
  const total = Math.ceil(ms / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  const label = hours > 0 ? `${hours}:${pad(minutes)}:${pad(seconds)}` : `${pad(minutes)}:${pad(seconds)}`;
  return { ms, expired: ms === 0, label };
}
