// Dates and periods as records people read them: 15 Jan 2026, "Mar 2026", "6 years 30 days".
const DAY = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const DAY_TIME = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC', timeZoneName: 'short' });
const MONTH = new Intl.DateTimeFormat('en-GB', { month: 'short', year: 'numeric', timeZone: 'UTC' });

export const day = (iso?: string) => (iso ? DAY.format(new Date(iso)) : '–');
export const dayTime = (iso?: string) => (iso ? DAY_TIME.format(new Date(iso)) : '–');
/** "2026-03" -> "Mar 2026" */
export const month = (ym: string) => MONTH.format(new Date(`${ym}-01T00:00:00Z`));

export function period(years: number, days: number): string {
  const parts = [];
  if (years) parts.push(`${years} year${years === 1 ? '' : 's'}`);
  if (days || !years) parts.push(`${days} day${days === 1 ? '' : 's'}`);
  return parts.join(' ');
}

/** The months from `fromIso`'s month up to (not including) `untilIso`, as YYYY-MM. */
export function monthsBetween(fromIso: string, untilIso: string): string[] {
  const out: string[] = [];
  const d = new Date(`${fromIso.slice(0, 7)}-01T00:00:00Z`);
  while (d.toISOString() < untilIso) {
    out.push(d.toISOString().slice(0, 7));
    d.setUTCMonth(d.getUTCMonth() + 1);
  }
  return out;
}

export const short = (sha: string) => `${sha.slice(0, 12)}…`;
