// What a report is asked for: a period (a calendar year, or one month of it, in the configured
// time zone) and a store selection the user is allowed to see. Shared by the dashboard page and
// the reports API so both read the same figures.
import type { CurrentUser } from '../../lib/access.ts';
import { storeScope } from '../../lib/access.ts';
import { badRequest, forbidden } from '../../lib/errors.ts';

export const MIN_YEAR = 1970;
export const MAX_YEAR = 2999;
export const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

export interface Period {
  year: number;
  month: number | null;
  /** Rollup grain that covers the whole period: a year (Y) or a month (M). */
  grain: 'Y' | 'M';
  /** Rows of the sales series: the months of a year, or the days of a month. */
  seriesGrain: 'M' | 'D';
  /** First and last day (inclusive), YYYY-MM-DD, local to the configured time zone. */
  start: string;
  end: string;
  label: string;
}

const pad = (n: number) => String(n).padStart(2, '0');
const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

export function makePeriod(year: number, month: number | null): Period {
  if (month === null) {
    return { year, month, grain: 'Y', seriesGrain: 'M', start: `${year}-01-01`, end: `${year}-12-31`, label: String(year) };
  }
  return {
    year, month, grain: 'M', seriesGrain: 'D',
    start: `${year}-${pad(month)}-01`, end: `${year}-${pad(month)}-${pad(daysIn(year, month))}`,
    label: `${MONTHS[month - 1]} ${year}`,
  };
}

/** The period just before: last year, or last month. */
export function previousPeriod(p: Period): Period {
  if (p.month === null) return makePeriod(p.year - 1, null);
  return p.month === 1 ? makePeriod(p.year - 1, 12) : makePeriod(p.year, p.month - 1);
}

/** The current calendar year in the time zone. */
export function currentYear(timeZone: string, now = new Date()): number {
  return Number(new Intl.DateTimeFormat('en', { timeZone, year: 'numeric' }).format(now));
}

/** The year shown when none is asked for: this year if it has orders, else the latest earlier
 * year that has (or the latest of all when every order is dated in the future). */
export function defaultYear(years: number[], thisYear: number): number {
  if (years.includes(thisYear) || years.length === 0) return thisYear;
  return years.find((y) => y < thisYear) ?? years[0]!;
}

/** Which rollup rows to read: one store (0 = every store, pre-summed) or the sum over several. */
export type StoreSelection = { single: number } | { many: number[] };

export interface ReportScope {
  /** The store picked, if any. */
  storeId: number | null;
  /** Every store the user may see ('all' for admins). */
  allowed: 'all' | number[];
  selection: StoreSelection;
}

/** Resolves the store filter of a report against the user's scope. Staff asking for another
 * store get a 403; customers never get here with a report. */
export function resolveScope(user: CurrentUser | null, storeId: number | null): ReportScope {
  if (!user || user.role === 'customer') throw forbidden('Reports are for store staff and administrators.');
  const allowed = storeScope(user);
  if (storeId !== null) {
    if (allowed !== 'all' && !allowed.includes(storeId)) throw forbidden('You do not work at this store.');
    return { storeId, allowed, selection: { single: storeId } };
  }
  if (allowed === 'all') return { storeId: null, allowed, selection: { single: 0 } };
  return { storeId: null, allowed, selection: allowed.length === 1 ? { single: allowed[0]! } : { many: [...allowed] } };
}

/** A short text naming the selection and period, for cache keys. */
export const selectionKey = (sel: StoreSelection, p?: Period) =>
  `${'single' in sel ? `s${sel.single}` : `m${sel.many.join(',')}`}${p ? `|${p.grain}${p.start}` : ''}`;

/** The selection covering every store the user may see. */
export function wholeScope(scope: ReportScope): StoreSelection {
  if (scope.allowed === 'all') return { single: 0 };
  return scope.allowed.length === 1 ? { single: scope.allowed[0]! } : { many: scope.allowed };
}

/** Strict parsing of the page's query string, where an empty value means "not chosen". */
export function optionalInt(value: unknown, field: string, min: number, max: number): number | null {
  if (value === undefined || value === null || value === '') return null;
  const s = String(value);
  const n = Number(s);
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw badRequest(`${field} must be a whole number from ${min} to ${max}.`, [{ field, message: `Use a whole number from ${min} to ${max}.` }]);
  }
  return n;
}
