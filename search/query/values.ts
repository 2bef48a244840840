// Turns before:/after: dates and larger:/smaller: sizes into exact bounds once, here, so every
// backend applies the same inclusive rules (docs/query-language.md) instead of re-deriving them.
import { syntaxError } from './lex.ts';

const DATE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|z|[+-]\d{2}:?\d{2})?)?)?)?$/;
const DATE_EXPECTED = 'a date: YYYY, YYYY-MM, YYYY-MM-DD or ISO 8601 YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]';

/**
 * The bound for a date filter, as a UTC ISO instant. The whole named period is included:
 * `after:2024-01` means date >= 2024-01-01T00:00:00Z and `before:2024-01-31` means
 * date < 2024-02-01T00:00:00Z. A full timestamp is an exact instant (before: strictly less).
 * Values without an offset are UTC; an offset (+02:00) is honoured.
 */
export function parseDateBound(value: string, op: 'before' | 'after', pos: number): string {
  const m = DATE.exec(value);
  if (!m) throw syntaxError(`'${value}' is not a date`, pos, DATE_EXPECTED);
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = mo === undefined ? 1 : Number(mo);
  const day = d === undefined ? 1 : Number(d);
  const hour = h === undefined ? 0 : Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = s === undefined ? 0 : Number(s);
  const ms = frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  const start = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(start);
  // Date.UTC rolls 2024-02-30 over into March; a lawyer typing that meant something else.
  if (
    check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day ||
    hour > 23 || minute > 59 || second > 59
  ) {
    throw syntaxError(`'${value}' is not a valid calendar date`, pos, DATE_EXPECTED);
  }
  let instant = start - offsetMinutes(zone, value, pos) * 60_000;
  if (op === 'before' && h === undefined) instant = endOfPeriod(year, month, day, mo, d);
  return new Date(instant).toISOString();
}

function offsetMinutes(zone: string | undefined, value: string, pos: number): number {
  if (zone === undefined || zone === 'Z' || zone === 'z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2));
  if (hours > 14 || minutes > 59) throw syntaxError(`'${value}' has an invalid UTC offset`, pos, DATE_EXPECTED);
  return sign * (hours * 60 + minutes);
}

/** First instant after the named year, month or day (UTC). */
function endOfPeriod(year: number, month: number, day: number, mo?: string, d?: string): number {
  if (mo === undefined) return Date.UTC(year + 1, 0, 1);
  if (d === undefined) return Date.UTC(year, month, 1);
  return Date.UTC(year, month - 1, day + 1);
}

const SIZE = /^(\d+(?:\.\d+)?)([kKmMgG]?)([bB]?)$/;
const SIZE_EXPECTED = 'a size: bytes, or a number with k, M or G (1024-based), e.g. 500k, 2.5M';
const MULTIPLIER: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Bytes for larger:/smaller:. Suffixes are binary (1k = 1024 bytes), as mail clients display sizes. */
export function parseSize(value: string, pos: number): number {
  const m = SIZE.exec(value);
  if (!m) throw syntaxError(`'${value}' is not a size`, pos, SIZE_EXPECTED);
  const bytes = Math.round(Number(m[1]) * MULTIPLIER[m[2]!.toLowerCase()]!);
  if (!Number.isSafeInteger(bytes)) throw syntaxError(`'${value}' is too large`, pos, SIZE_EXPECTED);
  return bytes;
}
