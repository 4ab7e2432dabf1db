// Formatting helpers handed to every template as `it.fmt`.
export function createFormatters(timeZone: string) {
  const dateFmt = new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: 'short', day: '2-digit' });
  const dateTimeFmt = new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit' });
  const numberFmt = new Intl.NumberFormat('en-US');
  const moneyFmt = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const toDate = (v: unknown) => (v instanceof Date ? v : new Date(String(v)));
  return {
    date: (v: unknown) => (v == null || v === '' ? '' : dateFmt.format(toDate(v))),
    datetime: (v: unknown) => (v == null || v === '' ? '' : dateTimeFmt.format(toDate(v))),
    number: (v: unknown) => (v == null || v === '' ? '' : numberFmt.format(Number(v))),
    /** Money arrives as a decimal string from numeric columns; shown with two decimals. */
    money: (v: unknown) => (v == null || v === '' ? '' : moneyFmt.format(Number(v))),
    iso: (v: unknown) => (v == null || v === '' ? '' : toDate(v).toISOString()),
  };
}
export type Formatters = ReturnType<typeof createFormatters>;

/** A URL with the given query parameters merged in (empty values dropped). */
export function withQuery(path: string, params: Record<string, unknown>, overrides: Record<string, unknown> = {}): string {
  const merged = { ...params, ...overrides };
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(merged)) {
    if (v === undefined || v === null || v === '') continue;
    for (const x of [v].flat()) search.append(k, String(x));
  }
  const s = search.toString();
  return s ? `${path}?${s}` : path;
}
