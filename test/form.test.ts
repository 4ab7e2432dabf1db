import t from 'tap';
import Type from 'typebox';
import { parseForm, NUMBER_TEXT, INTEGER_TEXT, MAX_TEXT } from '../src/lib/form.ts';
import { EMAIL_RE } from '../src/modules/users/service.ts';

const Schema = Type.Object({
  quantity: Type.Integer({ minimum: 1, errorMessage: 'Enter a whole number of at least 1.' }),
  price: Type.Optional(Type.Number({ minimum: 0 })),
  name: Type.String({ minLength: 1, maxLength: 5 }),
});

t.test('numbers are read from their text, never rounded or guessed', async (t) => {
  t.same(parseForm(Schema, { quantity: ' 3 ', name: 'ab', price: '2.50' }), { ok: true, value: { quantity: 3, name: 'ab', price: 2.5 } });
  for (const bad of ['2.5', '0x3', '1e2', '3 apples', '']) {
    const r = parseForm(Schema, { quantity: bad, name: 'ab' });
    t.notOk(r.ok, `quantity "${bad}" is refused`);
    if (!r.ok) t.equal(r.errors.quantity, bad === '' ? 'Enter a whole number of at least 1.' : 'Enter a whole number of at least 1.');
  }
  const price = parseForm(Schema, { quantity: '1', name: 'ab', price: '1,5' });
  t.notOk(price.ok);
  if (!price.ok) t.equal(price.errors.price, 'Enter a number.');
});

t.test('unknown fields are dropped and messages come from the schema', async (t) => {
  const r = parseForm(Schema, { quantity: '1', name: 'toolong', role: 'admin', _csrf: 'x' });
  t.notOk(r.ok);
  if (!r.ok) t.same(r.errors, { name: 'Use at most 5 characters.' });
  const ok = parseForm(Schema, { quantity: '1', name: 'ok', role: 'admin' });
  t.same(ok, { ok: true, value: { quantity: 1, name: 'ok' } });
});

t.test('every value is measured before any pattern sees it (security report 13)', async (t) => {
  const digits = `${'1'.repeat(100_000)}x`;
  const r = parseForm(Schema, { quantity: digits, price: digits, name: 'x'.repeat(MAX_TEXT + 1) });
  t.notOk(r.ok);
  if (!r.ok) {
    t.equal(r.errors.price, 'This number is too long (32 characters at most).');
    t.equal(r.errors.quantity, 'This number is too long (32 characters at most).', 'whole numbers too');
    t.equal(r.errors.name, 'Use at most 5 characters.', 'a text field says its own limit');
    t.ok(String(r.values.price).length <= 32 && String(r.values.name).length <= MAX_TEXT, 'the form is not sent back with the whole value');
  }
  const free = parseForm(Type.Object({ note: Type.String() }), { note: 'n'.repeat(MAX_TEXT + 1) });
  t.same(free.ok ? {} : free.errors, { note: 'Use at most 10,000 characters.' }, 'a field without a limit gets the general one');
  t.ok(parseForm(Type.Object({ note: Type.String() }), { note: 'n'.repeat(MAX_TEXT) }).ok, 'exactly the limit is fine');
});

// These patterns run on what users type. Each input below made the old pattern backtrack
// quadratically: the old number pattern took ~1.5 s at 20,000 digits, so a million would take
// over an hour and this file would hit tap's timeout; a linear pattern answers at once.
t.test('the patterns on user input are linear', async (t) => {
  const million = '1'.repeat(1_000_000);
  t.notOk(NUMBER_TEXT.test(`${million}x`), 'number: a million digits and a letter');
  t.notOk(NUMBER_TEXT.test(`${million}.${million}x`), 'number: digits, a point, digits and a letter');
  t.notOk(INTEGER_TEXT.test(`${million}x`), 'integer');
  for (const ok of ['1', '-1.5', '+.5', '2.', '007']) t.ok(NUMBER_TEXT.test(ok), `number: ${ok}`);
  for (const bad of ['.', '1.2.3', '1e5', '', '+']) t.notOk(NUMBER_TEXT.test(bad), `not a number: "${bad}"`);
  t.notOk(EMAIL_RE.test(`a@${'.'.repeat(1_000_000)} `), 'email: a million dots and a space');
  t.notOk(EMAIL_RE.test(`a@${'b.'.repeat(500_000)}@`), 'email: a long dotted domain and an @');
  for (const ok of ['a@b.c', 'first.last@mail.example.com']) t.ok(EMAIL_RE.test(ok), `email: ${ok}`);
  for (const bad of ['a@.b', 'a@..b', 'a@b.', 'a@b', 'a b@c.d', '@b.c']) t.notOk(EMAIL_RE.test(bad), `not an email: ${bad}`);
});
