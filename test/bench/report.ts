// The results as one Markdown document (README-ready) and the JSON behind it.
import type { PassResult, RouteRow } from './pass.ts';
import type { SqlResult } from './sql-bench.ts';
import type { SeedInfo } from './dataset.ts';

export interface Report {
  date: string;
  command: string;
  machine: { nproc: number; cpu: string; memoryGb: number; node: string; postgres: string; loadAverageAtStart: number[] };
  settings: { small: boolean; seconds: number; warmupSeconds: number; connections: number; groups: string[]; workers: number[]; pgSettings: Record<string, string> | 'BENCH_DATABASE_URL' };
  dataset: { database: string; rollups: Array<{ ms: number; kind?: string; error?: string }> } & SeedInfo;
  sql: SqlResult[];
  passes: PassResult[];
  stockVerify?: { ok: boolean; exitCode: number | null; output: string };
  slow: Array<{ workers: number; route: string; connections: number; p95: number; serialMs?: number }>;
  totalSeconds: number;
}

const n = (v: number) => v.toLocaleString('en-US');
const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));

/** The PK page's req/s at `connections`: the mean of its runs before and after the app's routes. */
function pkRate(pass: PassResult, connections: number): number | undefined {
  const pk = pass.pk.filter((p) => p.connections === connections);
  return pk.length ? pk.reduce((a, p) => a + p.result.rps, 0) / pk.length : undefined;
}

function refRate(report: Report, pass: PassResult, row: RouteRow): { rate: number; label: string } | undefined {
  if (row.reference === 'pk-page') {
    const rate = pkRate(pass, row.connections);
    return rate === undefined ? undefined : { rate, label: 'PK page' };
  }
  const kind = row.reference === 'sql-order' ? 'order' : 'adjustment';
  // The plain-SQL run with as many clients, or else the one with the most.
  const runs = report.sql.filter((s) => s.kind === kind).sort((a, b) => b.clients - a.clients);
  const best = runs.find((s) => s.clients === row.connections) ?? runs[0];
  return best && { rate: best.tps, label: `SQL ${kind}s @${best.clients}` };
}

function other(row: RouteRow): string {
  const r = row.result!;
  const parts: string[] = [];
  for (const [code, count] of Object.entries(r.status)) if (!code.startsWith('2')) parts.push(`${code}×${n(count)}`);
  if (r.errors) parts.push(`errors ${n(r.errors)}${r.timeouts ? ` (timeouts ${n(r.timeouts)})` : ''}`);
  return parts.length ? parts.join(', ') : '0';
}

function passTable(report: Report, pass: PassResult): string[] {
  const lines = [
    '| route | conns | req/s | p50 ms | p95 ms | p99 ms | 1-conn ms | 2xx | non-2xx / errors | server RSS MB | vs reference |',
    '|---|--:|--:|--:|--:|--:|--:|--:|---|--:|---|',
  ];
  for (const p of pass.pk) {
    const r = p.result;
    lines.push(`| *reference: Fastify + Eta, one PK query (${p.when})* | ${p.connections} | ${n(r.rps)} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | – | ${n(r.ok)} | ${other({ result: r } as RouteRow)} | ${p.rssMb.peakMb} | – |`);
  }
  for (const f of pass.floor) {
    const r = f.result;
    const pk = pkRate(pass, f.connections);
    const ratio = pk ? `${(r.rps / pk).toFixed(2)} × PK page` : '–';
    lines.push(`| *${esc(f.name)}* | ${f.connections} | ${n(r.rps)} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${f.serialMs === undefined ? '–' : ms(f.serialMs)} | ${n(r.ok)} | ${other({ result: r } as RouteRow)} | – | ${ratio} |`);
  }
  for (const row of pass.routes) {
    if (!row.result) {
      lines.push(`| ${esc(row.name)} | ${row.connections} | – | – | – | – | – | – | *skipped: ${esc(row.skipped ?? '')}* | – | – |`);
      continue;
    }
    const r = row.result;
    const write = row.reference !== 'pk-page';
    const ref = refRate(report, pass, row);
    // Writes are compared by committed transactions (2xx/s), pages by answers per second.
    const mine = write ? r.ok / Math.max(0.001, r.seconds) : r.rps;
    const ratio = ref && ref.rate > 0 ? `${(mine / ref.rate).toFixed(2)} × ${ref.label}` : '–';
    const note = row.note ? ` <br><sub>${esc(row.note)}</sub>` : '';
    lines.push(`| ${esc(row.name)}${note} | ${row.connections} | ${n(r.rps)} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${row.serialMs === undefined ? '–' : ms(row.serialMs)} | ${n(r.ok)} | ${other(row)} | ${row.rssMb?.peakMb ?? '–'} | ${ratio} |`);
  }
  return lines;
}

const esc = (s: string) => s.replace(/\|/g, '\\|');

export function toMarkdown(report: Report): string {
  const m = report.machine;
  const d = report.dataset;
  const s = report.settings;
  const sizes = `${n(d.sizes.stores)} stores, ${n(d.sizes.products)} products, ${n(d.sizes.customers)} customers, ${n(d.sizes.orders)} orders`;
  const out = [
    `### Benchmark, ${report.date.slice(0, 10)}`,
    '',
    `- Machine: ${m.nproc} cores (${m.cpu}), ${m.memoryGb} GB RAM, Node ${m.node}, ${m.postgres}; load average at start ${m.loadAverageAtStart.map((x) => x.toFixed(1)).join(' / ')} (the machine was shared).`,
    `- Command: \`${report.command}\``,
    `- Data: ${sizes} (database \`${d.database}\`; ${d.reused ? `reused, seeded ${d.seededAt.slice(0, 10)}` : 'seeded in this run'}: seed ${d.seedSeconds} s + VACUUM ANALYZE ${d.vacuumSeconds} s).`,
    ...(d.rollups.length ? [`- Report rollups brought up to date before each pass (not measured): ${d.rollups.map((r) => `${r.error ? `failed: ${r.error}` : r.kind ?? 'refreshed'} in ${(r.ms / 1000).toFixed(1)} s`).join(', ')}.`] : []),
    `- Load: autocannon, ${s.seconds} s per route after a ${s.warmupSeconds} s warm-up, ${s.connections} connections unless the table says otherwise. Load generator, server and PostgreSQL share the cores, so compare rows with the references measured in the same run.`,
    `- PostgreSQL: ${s.pgSettings === 'BENCH_DATABASE_URL' ? 'given by BENCH_DATABASE_URL' : Object.entries(s.pgSettings).filter(([k]) => k !== 'listen_addresses').map(([k, v]) => `${k}=${v}`).join(', ')}. App: NODE_ENV=production, default pool (DB_POOL_MAX 10 per process) and argon2 settings.`,
    '',
  ];
  for (const pass of report.passes) {
    out.push(`#### WEB_CONCURRENCY=${pass.workers} (server RSS idle after login: ${pass.idleRssMb} MB)`, '', ...passTable(report, pass), '');
  }
  if (report.sql.length) {
    out.push('#### Plain-SQL references (pg, no HTTP)', '',
      '| transaction | clients | tx/s | p50 ms | p95 ms | p99 ms | short (rolled back) | errors |',
      '|---|--:|--:|--:|--:|--:|--:|--:|');
    for (const r of report.sql) {
      const what = r.kind === 'order' ? 'order: insert order, 3 lines, 3 conditional reserves, event' : 'stock adjustment: conditional update + movement';
      out.push(`| ${what} | ${r.clients} | ${n(r.tps)} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${n(r.short)} | ${n(r.errors)} |`);
    }
    out.push('');
  }
  out.push('1-conn ms: median of a few requests sent one at a time after the warm-up (service time without queueing). Floor rows: the reference server runs the same list statement as the app (its repository function) and renders the 50 rows into a bare table, with no session, sign-in check, CSRF token, security headers or layout: what the list alone costs on this stack, so the most a page of the app could reach. Ratios: pages and API reads are req/s over the PK-page reference at the same connection count (mean of its runs before and after the routes); order placement and stock movements are committed (2xx) per second over the plain-SQL transactions with as many clients (or the most clients measured). 409 on the hot product and stock movements is the correct answer once stock runs out.', '');
  if (report.slow.length) {
    // At 50 connections a p95 above 100 ms follows from the throughput alone (Little's law: the
    // mean wait is connections / req/s): what matters is which routes are slow on their own.
    const own = report.slow.filter((x) => (x.serialMs ?? 0) > 50);
    out.push(`p95 above 100 ms at ${s.connections} connections: ${report.slow.length} of ${report.passes.reduce((a, p) => a + p.routes.filter((r) => r.result && r.connections >= 50).length, 0)} measurements (queueing: ${s.connections} connections over a few hundred req/s).`
      + (own.length ? ` Slow on their own (1-conn median above 50 ms): ${[...new Set(own.map((x) => x.route))].map((r) => `${r} (${own.filter((x) => x.route === r).map((x) => `W=${x.workers} ${ms(x.serialMs!)} ms`).join(', ')})`).join('; ')}.` : ''), '');
  }
  if (report.stockVerify) out.push(`After the run, \`npm run cli -- stock:verify\`: ${report.stockVerify.ok ? '' : '**FAILED** '}${report.stockVerify.output.trim().split('\n').slice(-1)[0]}`, '');
  return out.join('\n');
}
