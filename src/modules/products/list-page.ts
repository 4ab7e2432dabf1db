// The back-office product list: filters, sort and keyset pages in the URL; htmx swaps the rows
// fragment, a plain GET renders the whole page, and ?format=csv streams the same list as CSV.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { badRequest } from '../../lib/errors.ts';
import { parseForm } from '../../lib/form.ts';
import { wantsCsv } from '../../lib/csv.ts';
import { filterChoices, listProducts, stockScope, type FilterChoices } from './repository.ts';
import { sendProductsCsv } from './export.ts';
import { priceRangeError, ProductPageQuery } from './schema.ts';

const FILTER_KEYS = ['q', 'brand', 'colour', 'size', 'minPrice', 'maxPrice', 'active'] as const;

/** Adds the selected value when it is not among the data's values (typed into the URL). */
const withSelected = (choices: string[], selected?: string) =>
  (selected && !choices.includes(selected) ? [selected, ...choices] : choices);

export default async function productListPage(app: FastifyInstance) {
  app.get('/products', async function listProductsPage(req: FastifyRequest, reply: FastifyReply) {
    const parsed = parseForm(ProductPageQuery, req.query);
    const query = parsed.ok ? parsed.value : {};
    const errors = parsed.ok ? {} : { ...parsed.errors };
    const rangeError = priceRangeError(query);
    if (rangeError) errors.maxPrice = rangeError;
    const failed = Object.keys(errors).length > 0;

    if (wantsCsv({ format: (req.query as { format?: string }).format }, req.headers.accept)) {
      if (failed) throw badRequest(Object.values(errors).join(' '));
      return sendProductsCsv(reply, app.db, stockScope(req.user), query);
    }

    const values = parsed.ok ? parsed.value : parsed.values;
    // The sort is always spelled out so the headers and the hidden form fields agree.
    const sort = query.sort ?? 'productName';
    const order = query.order ?? 'asc';
    const params: Record<string, unknown> = { sort, order, limit: query.limit };
    for (const k of FILTER_KEYS) params[k] = values[k];
    const page = failed ? { items: [], nextCursor: null, prevCursor: null } : await listProducts(app.db, stockScope(req.user), { ...query, sort, order }, { withVersion: !req.wantsFragment });
    let choices: FilterChoices = { brands: [], colours: [], sizes: [] };
    if (!req.wantsFragment) {
      const all = await filterChoices(app.db, false, 'catalogueVersion' in page ? page.catalogueVersion : undefined);
      choices = {
        brands: withSelected(all.brands, query.brand), colours: withSelected(all.colours, query.colour), sizes: withSelected(all.sizes, query.size),
      };
    }
    return reply.page('products/index', {
      title: 'Products', page, params, values, errors, choices,
      filterError: failed ? Object.values(errors).join(' ') : null,
      staffScope: req.user?.role === 'staff',
    }, { fragment: 'products/_rows', status: failed ? 422 : 200 });
  });
}
