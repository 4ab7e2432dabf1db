// A mixed write load through the HTTP API that keeps a client-side journal of every request and
// its answers: orders by customers, stock adjustments, receipts and transfers by an admin, and
// cancels of the customers' own orders. Every order and movement carries an Idempotency-Key, so
// a request that got no definite answer (the server died, the database went away) can be sent
// again after the fault and is then either replayed (it had committed) or done now (it had not).
// With that, the journal knows exactly which orders and movements must exist.
import { call, sleep, Tally, type Answer } from './harness.ts';
import type { Account } from './fixtures.ts';

export type OpKind = 'order' | 'adjustment' | 'receipt' | 'transfer' | 'cancel';

export interface Op {
  kind: OpKind;
  path: string;
  token: string;
  userId: number;
  key?: string;
  body: unknown;
  answers: Array<Answer & { at: number; to: string }>;
}

export interface LoadSetup {
  stores: number[];
  products: number[];
  customers: Account[];
  admin: Account;
  /** Base URL for the next request (a balancer's choice). */
  target: () => string;
}

/** 2xx, or a definite refusal that changed nothing (stock short, a cancel that lost a race). */
export const definite = (a: Answer) => (a.status >= 200 && a.status < 300) || a.status === 409 || a.status === 422;
export const ok = (a: Answer) => a.status >= 200 && a.status < 300;

export class MixedLoad {
  readonly ops: Op[] = [];
  readonly tally = new Tally();
  private running = false;
  private done: Promise<void> = Promise.resolve();
  private seed: number;
  private readonly open = new Map<number, number[]>(); // customer user id → their OPEN order ids

  constructor(private readonly s: LoadSetup, seed = 1) { this.seed = seed; }

  private rnd(n: number) { this.seed = (this.seed * 1103515245 + 12345) >>> 0; return (this.seed >>> 8) % n; }
  private pick<T>(list: T[]): T { return list[this.rnd(list.length)]!; }

  private nextOp(worker: number): Op {
    const { stores, products, customers, admin } = this.s;
    const r = this.rnd(100);
    const key = `rel-${worker}-${this.ops.length}-${this.rnd(1e9)}`;
    const items = () => {
      const first = this.rnd(products.length);
      const ids = this.rnd(2) ? [products[first]!, products[(first + 1) % products.length]!] : [products[first]!];
      return ids.map((productId) => ({ productId, quantity: 1 + this.rnd(3) }));
    };
    const customer = customers[worker % customers.length]!;
    const mine = this.open.get(customer.id) ?? [];
    if (r < 10 && mine.length) {
      const orderId = mine.splice(this.rnd(mine.length), 1)[0]!;
      return { kind: 'cancel', path: `/api/v1/orders/${orderId}/actions/cancel`, token: customer.token, userId: customer.id, body: {}, answers: [] };
    }
    if (r < 60) return { kind: 'order', path: '/api/v1/orders', token: customer.token, userId: customer.id, key, body: { storeId: this.pick(stores), items: items() }, answers: [] };
    if (r < 75) {
      return { kind: 'adjustment', path: '/api/v1/inventory/adjustments', token: admin.token, userId: admin.id, key,
        body: { storeId: this.pick(stores), productId: this.pick(products), quantity: this.rnd(2) ? 1 + this.rnd(4) : -(1 + this.rnd(4)), reason: 'correction' }, answers: [] };
    }
    if (r < 85) {
      return { kind: 'receipt', path: '/api/v1/inventory/receipts', token: admin.token, userId: admin.id, key,
        body: { storeId: this.pick(stores), productId: this.pick(products), quantity: 1 + this.rnd(10) }, answers: [] };
    }
    const from = this.rnd(stores.length);
    return { kind: 'transfer', path: '/api/v1/inventory/transfers', token: admin.token, userId: admin.id, key,
      body: { fromStoreId: stores[from]!, toStoreId: stores[(from + 1) % stores.length]!, items: items() }, answers: [] };
  }

  /** Sends one op (again) and records the answer. */
  async send(op: Op): Promise<Answer> {
    const to = this.s.target();
    const a = await call(to, 'POST', op.path, { token: op.token, body: op.body, headers: op.key ? { 'idempotency-key': op.key } : {} });
    op.answers.push({ ...a, at: Date.now(), to });
    this.tally.add(a);
    if (op.kind === 'order' && a.status === 201) {
      const list = this.open.get(op.userId) ?? [];
      list.push(a.body.orderId);
      this.open.set(op.userId, list);
    }
    return a;
  }

  start(workers: number): void {
    this.running = true;
    this.done = Promise.all(Array.from({ length: workers }, async (_, w) => {
      while (this.running) {
        const op = this.nextOp(w);
        this.ops.push(op);
        const a = await this.send(op);
        // Nobody listening or no database: back off instead of spinning (a real client would).
        if (a.status === 0 || a.status === 503) await sleep(200);
      }
    })).then(() => {});
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  /** Successful answers since a time (ms since epoch). */
  okSince(t: number): number {
    return this.ops.reduce((n, op) => n + op.answers.filter((a) => a.at >= t && ok(a)).length, 0);
  }

  /** Keyed ops without a definite answer yet: sent again until they get one (after a fault),
   * a few at a time. */
  async settle(attempts = 10, parallel = 8): Promise<{ replayed: number; doneNow: number; stillUnknown: number }> {
    let replayed = 0;
    let doneNow = 0;
    const todo = this.ops.filter((op) => op.key && !definite(op.answers.at(-1)!));
    await Promise.all(Array.from({ length: parallel }, async () => {
      for (let op = todo.pop(); op; op = todo.pop()) {
        for (let i = 0; i < attempts; i++) {
          const a = await this.send(op);
          if (definite(a)) {
            if (a.headers?.get('idempotent-replayed') === 'true') replayed++;
            else doneNow++;
            break;
          }
          await sleep(200);
        }
      }
    }));
    const stillUnknown = this.ops.filter((op) => op.key && !definite(op.answers.at(-1)!)).length;
    return { replayed, doneNow, stillUnknown };
  }

  /** What the clients were told was done: order ids, movement ids, transfer ids, cancels. */
  acknowledged(): { orders: Map<number, Array<{ productId: number; quantity: number }>>; movements: Set<number>; transfers: Set<string>; cancelled: Set<number>; keys: Array<{ userId: number; key: string }> } {
    const orders = new Map<number, Array<{ productId: number; quantity: number }>>();
    const movements = new Set<number>();
    const transfers = new Set<string>();
    const cancelled = new Set<number>();
    const keys: Array<{ userId: number; key: string }> = [];
    for (const op of this.ops) {
      const a = op.answers.find(ok);
      if (!a) continue;
      if (op.key) keys.push({ userId: op.userId, key: op.key });
      if (op.kind === 'order') orders.set(a.body.orderId, a.body.items.map((i: { productId: number; quantity: number }) => ({ productId: i.productId, quantity: i.quantity })));
      else if (op.kind === 'cancel') cancelled.add(Number(/orders\/(\d+)/.exec(op.path)![1]));
      else if (op.kind === 'transfer') { transfers.add(a.body.transferId); for (const m of a.body.movements) movements.add(m.movementId); }
      else movements.add(a.body.movement.movementId);
    }
    return { orders, movements, transfers, cancelled, keys };
  }
}
