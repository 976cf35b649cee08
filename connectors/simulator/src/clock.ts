/**
 * Simulated time, written in Morocco's legal time: UTC+01:00 (the country keeps it all year
 * since 2018, apart from a switch to UTC during Ramadan that the simulator ignores).
 */
export const DAY_MS = 86_400_000;
const OFFSET_MS = 3_600_000;

let cachedDay = Number.NaN;
let cachedPrefix = '';

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** RFC 3339 with the +01:00 offset, whole seconds: `2025-01-06T08:00:00+01:00`. */
export function formatDateTime(ms: number): string {
  const local = Math.floor(ms / 1000) * 1000 + OFFSET_MS;
  const day = Math.floor(local / DAY_MS);
  // Simulated time moves forward: the date part is formatted once per day.
  if (day !== cachedDay) {
    cachedDay = day;
    cachedPrefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
  }
  const s = (local - day * DAY_MS) / 1000;
  return `${cachedPrefix}${pad2(Math.floor(s / 3600))}:${pad2(Math.floor(s / 60) % 60)}:${pad2(s % 60)}+01:00`;
}

/** The calendar date in Morocco: `2025-01-06`. */
export function formatDate(ms: number): string {
  return new Date(ms + OFFSET_MS).toISOString().slice(0, 10);
}

/**
 * Parses the `start_date` config: a date (`2025-01-06`, taken as 08:00 in Morocco) or an
 * RFC 3339 date-time with an offset. Returns epoch ms, or `undefined` if it is neither.
 */
export function parseStart(value: string): number | undefined {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T08:00:00+01:00`) : Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}
