// CSV exports can't plant a spreadsheet formula (security finding 5): every field is quoted, and a
// formula trigger (= + - @) at the start of a cell or after any separator a spreadsheet may split
// on (; , tab CR LF |), whitespace allowed before it, gets a ' in front. Plain numbers, negative
// ones included, stay numbers. Checked on the function and on the customers, orders and movements
// exports, API and page.
import t, { type Test } from 'tap';
import { parse } from 'csv-parse/sync';
import { buildTestApp, makeUser, apiLogin, Client } from './helper.ts';
import { stores, products, customers } from '../src/db/schema/index.ts';
import { applyStockChanges } from '../src/modules/inventory/stock.ts';
import { neutraliseCell } from '../src/lib/csv.ts';

/** True when some piece of the text, split where any spreadsheet may split a cell, starts (after
 * blanks) with a formula trigger — unless the whole cell is a plain number. */
const dangerous = (cell: string) => !/^-?\d+(\.\d+)?$/.test(cell) && cell.split(/[;,\t\r\n|]/).some((part) => /^\s*[=+\-@]/.test(part));

const PAYLOADS = [
  "Mallory;=cmd|' /C calc'!A0;x", 'Eve,=1+1', 'Line\n=HYPERLINK("http://x")', 'Tab\t=2*3', 'Pipe|=A1', 'CR\r=A1',
  '+1 555 0100', '-2+3', '@SUM(A1:A2)', '=cmd', '  =SUM(1)', 'Semi; @x', 'x;\t-1', '\t=lead', '\rlead',
];

t.test('the cell guard', async (t) => {
  for (const p of PAYLOADS) {
    const out = neutraliseCell(p);
    t.notOk(dangerous(out), `${JSON.stringify(p)} → ${JSON.stringify(out)}`);
    t.equal(out.replaceAll("'", ''), p.replaceAll("'", ''), `${JSON.stringify(p)} keeps its text`);
  }
  t.notOk(/^[\t\r]/.test(neutraliseCell('\t=lead')), 'a leading tab is quoted as text too');
  t.notOk(/^[\t\r]/.test(neutraliseCell('\rlead')), 'and a leading CR');
  for (const n of ['-5', '-12.50', '0', '42', '3.14']) t.equal(neutraliseCell(n), n, `${n} stays a number`);
  for (const s of ['Anna-Maria O\'Neil', 'plain text', 'a = b', 'x@example.test', '']) t.equal(neutraliseCell(s), s, `${JSON.stringify(s)} is left alone`);
});

const { app } = await buildTestApp(t);
const db = app.db;
const [north] = await db.insert(stores).values([{ storeName: 'North', physicalAddress: '1 High St' }]).returning();
const [tee] = await db.insert(products).values([{ sku: 'T-1', productName: 'Tee', unitPrice: '19.99' }]).returning();
const N = north!.storeId, TEE = tee!.productId;
await db.transaction((tx) => applyStockChanges(tx, [{ storeId: N, productId: TEE, onHand: 500, kind: 'receipt' }], { userId: null, email: 'test' }));
const people = await db.insert(customers).values(PAYLOADS.map((p, i) => ({ emailAddress: `csv${i}@example.test`, fullName: p }))).returning();

const admin = await makeUser(app, 'admin');
const token = await apiLogin(app, admin.email, admin.password);
const api = (method: 'GET' | 'POST', url: string, payload?: object) =>
  app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
for (const c of people) {
  const res = await api('POST', '/orders', { customerId: c.customerId, storeId: N, items: [{ productId: TEE, quantity: 1 }] });
  if (res.statusCode !== 201) throw new Error(res.body);
}
// Signed adjustments (the API's contract): the note is the movement's reference, the quantity a negative number.
const notes = ['Semi;=cmd', 'x,=1', 'y\n=1', 'z\t=1', '-2+3', '=SUM(1)'];
for (const note of notes) {
  const res = await api('POST', '/inventory/adjustments', { storeId: N, productId: TEE, quantity: -2, reason: 'other', note });
  if (res.statusCode !== 201) throw new Error(res.body);
}
const browser = new Client(app);
await browser.login(admin.email, admin.password);

/** Parsed rows of an export, after checking that every non-empty field is quoted on the wire. */
function rowsOf(t: Test, body: string, what: string): Record<string, string>[] {
  const raw = parse(body, { relax_quotes: false, raw: true, skip_empty_lines: true }) as unknown as Array<{ raw: string; record: string[] }>;
  for (const { raw: line, record } of raw) {
    const quotedFields = (line.match(/(^|,)"/g) ?? []).length;
    const nonEmpty = record.filter((f) => f !== '').length;
    if (quotedFields !== nonEmpty) { t.fail(`${what}: a field is not quoted in ${JSON.stringify(line)}`); break; }
  }
  return parse(body, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
}

function assertSafe(t: Test, body: string, what: string) {
  const rows = rowsOf(t, body, what);
  t.ok(rows.length > 0, `${what}: has rows`);
  for (const row of rows) for (const [col, cell] of Object.entries(row)) if (dangerous(cell)) t.fail(`${what}: ${col} = ${JSON.stringify(cell)}`);
  return rows;
}

t.test('customers export: API and page', async (t) => {
  for (const [what, res] of [['API', await api('GET', '/customers?format=csv&limit=200')], ['page', await browser.get('/customers?format=csv')]] as const) {
    t.equal(res.statusCode, 200, what);
    const rows = assertSafe(t, res.body, `customers ${what}`);
    const mallory = rows.find((r) => r.emailAddress === 'csv0@example.test')!;
    t.equal(mallory.fullName, "Mallory;'=cmd|' /C calc'!A0;x", `${what}: the name survives, neutralised`);
    t.equal(rows.find((r) => r.emailAddress === 'csv9@example.test')!.fullName, "'=cmd", `${what}: leading =`);
  }
});

t.test('orders export: API and page', async (t) => {
  for (const [what, res] of [['API', await api('GET', '/orders?format=csv')], ['page', await browser.get('/orders?format=csv')]] as const) {
    t.equal(res.statusCode, 200, what);
    const rows = assertSafe(t, res.body, `orders ${what}`);
    t.equal(rows.length, PAYLOADS.length, `${what}: every order`);
    t.ok(rows.some((r) => r.customerName === "Eve,'=1+1"), `${what}: "Eve,=1+1" neutralised after the comma`);
    t.ok(rows.every((r) => r.total === '19.99'), `${what}: totals stay numbers`);
  }
});

t.test('movements export: API and page; negative quantities stay numbers', async (t) => {
  for (const [what, res] of [['API', await api('GET', '/inventory/movements?format=csv')], ['page', await browser.get('/inventory/movements?format=csv')]] as const) {
    t.equal(res.statusCode, 200, what);
    const rows = assertSafe(t, res.body, `movements ${what}`);
    const adjustments = rows.filter((r) => r.kind === 'adjustment');
    t.equal(adjustments.length, notes.length, `${what}: every adjustment`);
    t.ok(adjustments.every((r) => r.quantity === '-2'), `${what}: quantity -2 is a plain negative number`);
    t.same(adjustments.map((r) => r.reference).sort(), ["'-2+3", "'=SUM(1)", "Semi;'=cmd", "x,'=1", "y\n'=1", "z\t'=1"].sort(), `${what}: references neutralised`);
  }
});
