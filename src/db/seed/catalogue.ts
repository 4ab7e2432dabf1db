// Master data for the seed: stores, products, customers. One INSERT … SELECT … generate_series
// per batch; randomness comes from random() in PostgreSQL, never from per-row round trips.
import { sql } from 'drizzle-orm';
import { type Exec, run, ts } from './util.ts';
import * as w from './words.ts';

const DAY = 86_400;

/** How far back the catalogue and the customer base go (orders span the last 730 days). */
export const HISTORY_DAYS = 760;

/**
 * Inserts n stores and answers their ids. Every fifth store is web-only, two in five physical-only,
 * the rest both. Names are derived from a running index (existing store count + i), so a second
 * seed continues the sequence instead of colliding; a clash with a hand-made name gets "#k".
 */
export async function seedStores(tx: Exec, n: number, now: Date): Promise<number[]> {
  if (n <= 0) return [];
  const r = await tx.execute(sql`
    with w as (
      select string_to_array(${w.list(w.cities.map((c) => c.name))}, '|') as city,
             string_to_array(${w.list(w.cities.map((c) => c.lat))}, '|')::float8[] as lat,
             string_to_array(${w.list(w.cities.map((c) => c.lon))}, '|')::float8[] as lon,
             string_to_array(${w.list(w.storeSuffixes)}, '|') as sfx,
             string_to_array(${w.list(w.webRegions)}, '|') as reg,
             string_to_array(${w.list(w.streets)}, '|') as st
    ),
    gen as (
      select k, w.*, cardinality(w.city) as nc, cardinality(w.sfx) as ns, cardinality(w.reg) as nr
      from (select count(*)::int as k0 from stores) s0,
           generate_series(s0.k0, s0.k0 + ${n}::int - 1) k, w
    ),
    named as (
      -- (city, suffix, round) is a one-to-one function of k, so names never repeat
      select k,
        case when k % 5 = 0 then 'web' when k % 5 in (1, 2) then 'physical' else 'both' end as kind,
        case when k % 5 = 0
          then 'Webshop ' || reg[1 + (k / 5) % nr] || case when k / 5 >= nr then ' ' || ((k / 5) / nr + 1) else '' end
          else city[1 + k % nc] || ' ' || sfx[1 + (k / nc + k % nc) % ns] || case when k >= nc * ns then ' ' || (k / (nc * ns) + 1) else '' end
        end as name,
        city[1 + k % nc] as city, lat[1 + k % nc] as lat, lon[1 + k % nc] as lon, st[1 + k % cardinality(st)] as street
      from gen
    )
    insert into stores (store_name, web_address, physical_address, latitude, longitude, created_at, updated_at)
    select
      name || case when exists (select 1 from stores s where s.store_name = named.name) then ' #' || k else '' end,
      case when kind <> 'physical'
        then 'https://' || trim(both '-' from regexp_replace(lower(name), '[^a-z0-9]+', '-', 'g')) || '.shop.example' end,
      case when kind <> 'web' then (1 + (k * 37) % 200) || ' ' || street || ', ' || city end,
      case when kind <> 'web' then round((lat + (random() - 0.5) * 0.04)::numeric, 6) end,
      case when kind <> 'web' then round((lon + (random() - 0.5) * 0.04)::numeric, 6) end,
      ${ts(now)} - make_interval(days => ${HISTORY_DAYS + 40} + k % 30),
      ${ts(now)} - make_interval(days => ${HISTORY_DAYS + 40} + k % 30)
    from named
    order by k
    returning store_id`);
  return (r as unknown as { rows: Array<{ store_id: number }> }).rows.map((x) => Number(x.store_id));
}

/**
 * Inserts products base+lo … base+hi (explicit ids reserved by the caller). Name = brand +
 * adjective + type + colour; sizes follow the type (apparel XS–XXL, shoes EU 36–46, one size);
 * prices are list-price-like (19.99, 149.99, 249.00); ratings lean to 4–5; ~3 % inactive.
 */
export async function seedProducts(tx: Exec, base: number, lo: number, hi: number, now: Date): Promise<number> {
  return run(tx, sql`
    with w as (
      select string_to_array(${w.list(w.brands.map((b) => b.name))}, '|') as b,
             string_to_array(${w.list(w.brands.map((b) => b.factor))}, '|')::float8[] as bf,
             string_to_array(${w.list(w.productTypes.map((t) => t.name))}, '|') as tn,
             string_to_array(${w.list(w.productTypes.map((t) => t.code))}, '|') as tc,
             string_to_array(${w.list(w.productTypes.map((t) => t.sizing))}, '|') as tsz,
             string_to_array(${w.list(w.productTypes.map((t) => t.lo))}, '|')::float8[] as tlo,
             string_to_array(${w.list(w.productTypes.map((t) => t.hi))}, '|')::float8[] as thi,
             string_to_array(${w.list(w.colours)}, '|') as col,
             string_to_array(${w.list(w.adjectives)}, '|') as adj,
             string_to_array(${w.list(w.apparelSizes)}, '|') as asz,
             string_to_array(${w.list(w.shoeSizes)}, '|') as ssz
    ),
    raw as (
      select ${base}::int + g as id, w.*,
        1 + floor(random() * cardinality(w.b))::int as bi, 1 + floor(random() * cardinality(w.tn))::int as ti,
        1 + floor(random() * cardinality(w.col))::int as ci, 1 + floor(random() * cardinality(w.adj))::int as ai,
        random() as rp, random() as rs, random() as rr, random() as ra, random() as rt
      from generate_series(${lo}::int, ${hi}::int) g, w
    ),
    p as (
      select id, b[bi] as brand, tn[ti] as type, tc[ti] as tcode, col[ci] as colour, adj[ai] as adj,
        (tlo[ti] + (thi[ti] - tlo[ti]) * power(rp, 1.6)) * bf[bi] as list_price,
        case tsz[ti] when 'A' then asz[1 + floor(rs * cardinality(asz))::int]
                     when 'S' then ssz[1 + floor(rs * cardinality(ssz))::int]
                     else 'One Size' end as size,
        rr, ra, rt
      from raw
    )
    insert into products (product_id, sku, product_name, unit_price, colour, brand, size, rating, active, created_at, updated_at)
    select id,
      upper(left(regexp_replace(brand, '[^A-Za-z]', '', 'g'), 3)) || '-' || tcode || '-' || lpad(id::text, 6, '0')
        || '-' || case when size = 'One Size' then 'OS' else replace(size, ' ', '') end,
      brand || ' ' || adj || ' ' || type || ' - ' || colour,
      case when list_price < 100 then floor(list_price) + 0.99
           else round(list_price / 10) * 10 - case when id % 3 = 0 then 1 else 0.01 end end,
      colour, brand, size,
      case when rr < 0.04 then 1 when rr < 0.10 then 2 when rr < 0.28 then 3 when rr < 0.62 then 4 else 5 end,
      ra >= 0.03,
      ${ts(now)} - make_interval(secs => (${HISTORY_DAYS + 10} + rt * 30) * ${DAY}),
      ${ts(now)} - make_interval(secs => rt * 30 * ${DAY})
    from p`);
}

/**
 * Inserts customers base+lo … base+hi out of `total` new ones. created_at grows linearly with
 * the index over the last HISTORY_DAYS, which lets the order generator pick, for an order at time
 * T, only customers who already existed then (see orders.ts). Emails end in the customer id, so
 * they are unique by construction and already lower-case.
 */
export async function seedCustomers(tx: Exec, base: number, lo: number, hi: number, total: number, now: Date): Promise<number> {
  return run(tx, sql`
    with w as (
      select string_to_array(${w.list(w.firstNames)}, '|') as fn,
             string_to_array(${w.list(w.lastNames)}, '|') as ln,
             string_to_array(${w.list(w.emailDomains)}, '|') as dom
    ),
    raw as (
      select ${base}::int + g as id, g,
        fn[1 + floor(random() * cardinality(fn))::int] as first,
        ln[1 + floor(random() * cardinality(ln))::int] as last,
        dom[1 + floor(random() * cardinality(dom))::int] as domain,
        random() as rv
      from generate_series(${lo}::int, ${hi}::int) g, w
    ),
    n as (
      select *, regexp_replace(lower(first), '[^a-z]', '', 'g') as f, regexp_replace(lower(last), '[^a-z]', '', 'g') as l
      from raw
    )
    insert into customers (customer_id, email_address, full_name, created_at, updated_at)
    select id,
      case when rv < 0.45 then f || '.' || l when rv < 0.65 then left(f, 1) || l
           when rv < 0.80 then f || '_' || l when rv < 0.90 then l || '.' || f else f || l end
        || id || '@' || domain,
      first || ' ' || last,
      ${ts(now)} - make_interval(secs => ${HISTORY_DAYS * DAY}::float8 * (1 - g::float8 / ${total})),
      ${ts(now)} - make_interval(secs => ${HISTORY_DAYS * DAY}::float8 * (1 - g::float8 / ${total}))
    from n`);
}
