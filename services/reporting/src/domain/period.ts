/**
 * A report's period: `from` inclusive, `to` exclusive, each an ISO date ("2026-12-01", midnight
 * UTC) or an ISO timestamp with its offset ("2026-12-01T09:30:00Z", "…+01:00"). Omitted: from the
 * first day of the current month (UTC), to now, as a monthly statement would.
 */
export type Period = { from: Date; to: Date };

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

export type PeriodProblem = { path: string; message: string };

/** The instant a date or timestamp names, or undefined when it is not one (e.g. "2026-02-30", "yesterday"). */
export function parseInstant(text: string): Date | undefined {
  const date = DATE.exec(text);
  const stamp = date ? undefined : TIMESTAMP.exec(text);
  const parts = date ?? stamp;
  if (!parts) return undefined;
  const [y, mo, d] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  // The calendar date must exist: Date would roll 2026-02-30 over into March.
  const day = new Date(Date.UTC(y, mo - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) return undefined;
  if (stamp && (Number(stamp[4]) > 23 || Number(stamp[5]) > 59 || Number(stamp[6] ?? 0) > 59)) return undefined;
  const at = date ? day : new Date(text);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

export function startOfMonth(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The longest period a statement or the fee report covers: a year, leap day included. They answer
 * the whole period in one response (the contract's shape has no cursor), so the period bounds it.
 */
export const MAX_REPORT_DAYS = 366;

/**
 * The period asked for, or the problems with it (each naming its field). With `maxDays`, a longer
 * period is refused rather than answered in one unbounded response.
 */
export function parsePeriod(
  q: { from?: string | undefined; to?: string | undefined },
  now: Date,
  maxDays?: number,
): { period: Period } | { problems: PeriodProblem[] } {
  const problems: PeriodProblem[] = [];
  const from = q.from === undefined ? startOfMonth(now) : parseInstant(q.from);
  const to = q.to === undefined ? now : parseInstant(q.to);
  if (!from) problems.push({ path: '/from', message: 'not an ISO date (YYYY-MM-DD) or timestamp with its offset' });
  if (!to) problems.push({ path: '/to', message: 'not an ISO date (YYYY-MM-DD) or timestamp with its offset' });
  if (from && to && from.getTime() > to.getTime()) problems.push({ path: '/to', message: 'must not be before from' });
  else if (from && to && maxDays !== undefined && to.getTime() - from.getTime() > maxDays * DAY_MS) {
    problems.push({ path: '/to', message: `the period is at most ${maxDays} days; ask for a shorter one` });
  }
  return problems.length > 0 ? { problems } : { period: { from: from!, to: to! } };
}
