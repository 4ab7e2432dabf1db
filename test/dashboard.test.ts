import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp, Client, makeUser } from './helper.ts';
import { seedData } from '../src/db/seed.ts';
import { queryRows } from '../src/db/client.ts';

const { app } = await buildTestApp(t);
await seedData(app.db, { stores: 3, products: 40, customers: 60, orders: 300 });
const admin = await makeUser(app, 'admin');
const stores = await queryRows<{ id: number }>(app.db, sql`select store_id as id from stores order by store_id`);
const staff = await makeUser(app, 'staff', { storeIds: [stores[0]!.id] });

const num = (body: string, label: string) => {
  const m = new RegExp(`${label}</span><strong>([\\d,]+)</strong>`).exec(body);
  return m ? Number(m[1]!.replace(/,/g, '')) : NaN;
};

t.test('admins see counts over every store', async (t) => {
  const c = new Client(app);
  await c.login(admin.email, admin.password);
  const res = await c.get('/dashboard');
  t.equal(res.statusCode, 200);
  const [expected] = await queryRows<{ orders: number; products: number; customers: number; units: number }>(app.db, sql`select
    (select count(*)::int from orders) as orders, (select count(*)::int from products where active) as products,
    (select count(*)::int from customers) as customers, (select sum(on_hand)::int from inventory) as units`);
  t.equal(num(res.body, 'Orders'), expected!.orders);
  t.equal(num(res.body, 'Products'), expected!.products);
  t.equal(num(res.body, 'Customers'), expected!.customers);
  t.equal(num(res.body, 'Stock units'), expected!.units);
  t.ok(expected!.orders === 300);
  t.match(res.body, 'href="/orders"');
  t.match(res.body, 'href="/inventory?lowStock=true"');
});

t.test('staff see the counts of their own stores', async (t) => {
  const c = new Client(app);
  await c.login(staff.email, staff.password);
  const res = await c.get('/dashboard');
  const [expected] = await queryRows<{ orders: number; units: number }>(app.db, sql`select
    (select count(*)::int from orders where store_id = ${stores[0]!.id}) as orders,
    (select sum(on_hand)::int from inventory where store_id = ${stores[0]!.id}) as units`);
  t.equal(num(res.body, 'Orders'), expected!.orders);
  t.equal(num(res.body, 'Stock units'), expected!.units);
  t.ok(expected!.orders < 300, 'fewer than all orders');
});
