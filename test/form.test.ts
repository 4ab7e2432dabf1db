import t from 'tap';
import Type from 'typebox';
import { parseForm } from '../src/lib/form.ts';

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
