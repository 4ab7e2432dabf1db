import t from 'tap';
import { createFormatters } from '../src/lib/format.ts';

// The date formatter remembers each 15-minute slot's text: it must give exactly what Intl gives,
// in zones with half- and quarter-hour offsets, across DST changes and around local midnight.
t.test('dates read from the slot cache match Intl in every kind of zone', async (t) => {
  const zones = ['UTC', 'Europe/Berlin', 'America/St_Johns', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Pacific/Chatham', 'Africa/Monrovia', 'America/Los_Angeles'];
  const start = Date.UTC(1979, 11, 30);
  for (const timeZone of zones) {
    const fmt = createFormatters(timeZone);
    const intl = new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: 'short', day: '2-digit' });
    let wrong = 0;
    // Every 7 minutes 30 seconds (so both ends of each slot) over a year with its DST changes,
    // then a stretch of recent dates; each instant twice, so the second read comes from the cache.
    const checks: number[] = [];
    for (let ms = start; ms < start + 370 * 86_400_000; ms += 450_000) checks.push(ms);
    for (let ms = Date.UTC(2026, 2, 1); ms < Date.UTC(2026, 11, 1); ms += 899_999) checks.push(ms);
    for (const ms of checks) {
      const d = new Date(ms);
      if (fmt.date(d) !== intl.format(d) || fmt.date(new Date(ms)) !== intl.format(d)) wrong++;
    }
    t.equal(wrong, 0, `${timeZone}: ${checks.length} instants`);
  }
  const fmt = createFormatters('UTC');
  t.equal(fmt.date(new Date('1969-07-20T20:17:00Z')), '20 Jul 1969', 'dates before 1980 are formatted directly');
  t.equal(fmt.date('2026-12-07T23:59:59.999Z'), '07 Dec 2026');
  t.equal(fmt.date(null), '');
  t.throws(() => fmt.date('not a date'), RangeError, 'an invalid date still fails loudly');
});

t.test('numbers: the short path for small whole numbers matches Intl', async (t) => {
  const fmt = createFormatters('UTC');
  const intl = new Intl.NumberFormat('en-US');
  let wrong = 0;
  for (let n = -1500; n <= 1500; n++) if (fmt.number(n) !== intl.format(n)) wrong++;
  t.equal(wrong, 0);
  t.equal(fmt.number(1234567), '1,234,567');
  t.equal(fmt.number('42'), '42');
  t.equal(fmt.number(-0), intl.format(-0));
  t.equal(fmt.number(2.5), '2.5');
  t.equal(fmt.number(undefined), '');
});

t.test('money: decimal strings under 1,000 pass through, everything else goes to Intl', async (t) => {
  const fmt = createFormatters('UTC');
  const intl = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  for (const v of ['0.00', '0.05', '9.99', '12.50', '999.99', '1000.00', '1234.56', '00.50', '-3.00', '7', '7.5', '12.345']) {
    t.equal(fmt.money(v), intl.format(Number(v)), v);
  }
  t.equal(fmt.money(1234.5), '1,234.50');
  t.equal(fmt.money(null), '');
});
