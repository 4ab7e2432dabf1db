// The customer detail page: the record, its (store-scoped) orders and shipments, and whether it
// can be deleted. Shared by the page route and the refused-delete answer.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { CurrentUser } from '../../lib/access.ts';
import { notFound } from '../../lib/errors.ts';
import { findCustomer, customerActivityCounts, deleteBlockers, orderScope } from './repository.ts';
import { customerOrders, customerShipments } from './history.ts';
import { deleteRefusal } from './service.ts';

/** How many orders and shipments the detail page shows before "see all". */
export const DETAIL_LIMIT = 10;

/** Everything the detail page shows; also used to re-render it with a refusal message. */
export async function renderCustomerPage(app: FastifyInstance, user: CurrentUser, reply: FastifyReply, id: number, extra: { message?: string; status?: number } = {}) {
  const scope = orderScope(user);
  const customer = await findCustomer(app.db, id, scope);
  if (!customer) throw notFound(`Customer #${id}`);
  const [orders, shipments, counts, blockers] = await Promise.all([
    customerOrders(app.db, id, scope, { limit: DETAIL_LIMIT }),
    customerShipments(app.db, id, scope, { limit: DETAIL_LIMIT }),
    customerActivityCounts(app.db, id, scope),
    deleteBlockers(app.db, id),
  ]);
  const refusal = deleteRefusal(blockers);
  return reply.page('customers/show', {
    title: customer.fullName, customer, orders: orders.items, shipments: shipments.items, counts,
    // A refused delete's reason is already printed beside the delete button: said once.
    refusal, scoped: scope !== 'all', message: extra.message === refusal ? undefined : extra.message,
  }, { status: extra.status });
}
