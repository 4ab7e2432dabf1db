// Contract mode of the test helper (API_CONTRACT=prism, `npm run test:contract`): every /api/v1
// request a test file makes through app.inject goes over HTTP through a Stoplight Prism proxy
// started with `--errors` against the app's own /api/openapi.json, so the request and the answer
// are both checked against the document by a tool from outside the project.
//
// What fails the test: prism finding the server's answer outside the document (a response
// violation, which `--errors` turns into a 500 problem), or prism refusing a request (one outside
// the document: a deliberately bad body, no token, an undocumented path) that the server then
// accepts. A refused request is sent to the app directly so the test still sees the server's own
// answer; the server must refuse it too (4xx). The counts are printed as a tap comment.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { freePort } from '../bench/proc.ts';

interface Test { teardown(fn: () => unknown): void; fail(message: string): void; comment(...args: unknown[]): void }

interface Violation { location?: string[]; severity?: string; message?: string; code?: string | number }

interface Raw { statusCode: number; statusMessage: string; headers: http.IncomingHttpHeaders; body: Buffer }

const UPSTREAM_MARK = 'x-contract-upstream';
const ROOT = path.resolve(import.meta.dirname, '../..');
const PRISM = path.join(ROOT, 'node_modules/.bin/prism');

function send(port: number, method: string, url: string, headers: Record<string, string>, body?: Buffer): Promise<Raw> {
  return new Promise((resolve, reject) => {
    // app.inject takes a raw path; over HTTP, characters outside printable ASCII are escaped.
    const req = http.request({ host: '127.0.0.1', port, method, path: url.replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c)), headers: body ? { ...headers, 'content-length': String(body.length) } : headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ statusCode: res.statusCode!, statusMessage: res.statusMessage ?? '', headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The shape tests read from app.inject answers. */
function asInjectResponse(raw: Raw): LightMyRequestResponse {
  const body = raw.body.toString('utf8');
  delete raw.headers[UPSTREAM_MARK];
  return {
    statusCode: raw.statusCode, statusMessage: raw.statusMessage, headers: raw.headers as LightMyRequestResponse['headers'],
    rawPayload: raw.body, payload: body, body, cookies: [], trailers: {},
    json: () => JSON.parse(body),
    stream: () => { throw new Error('contract mode: stream() is not supported'); },
    raw: { res: undefined as never, req: undefined as never },
  } as unknown as LightMyRequestResponse;
}

function violationsOf(raw: Raw): Violation[] {
  const header = raw.headers['sl-violations'];
  const out: Violation[] = [];
  // e.g. a body that is not JSON: prism's own parser answers 400 before validating anything.
  if (!raw.headers[UPSTREAM_MARK] && !header && !String(raw.headers['content-type'] ?? '').startsWith('application/problem+json')) {
    out.push({ location: ['prism'], message: `prism answered ${raw.statusCode} itself: ${raw.body.toString('utf8').slice(0, 200)}` });
  }
  if (typeof header === 'string') { try { out.push(...(JSON.parse(header) as Violation[])); } catch { out.push({ message: header }); } }
  if (String(raw.headers['content-type'] ?? '').startsWith('application/problem+json')) {
    try {
      const problem = JSON.parse(raw.body.toString('utf8')) as { type?: string; title?: string; detail?: string; validation?: Violation[] };
      if (problem.validation?.length) out.push(...problem.validation);
      else out.push({ location: ['prism'], message: `${problem.type ?? ''} ${problem.title ?? ''}: ${problem.detail ?? ''}`.trim() });
    } catch { out.push({ location: ['prism'], message: raw.body.toString('utf8').slice(0, 500) }); }
  }
  return out;
}

const describe = (v: Violation[]) => v.map((x) => `[${x.severity ?? 'error'}] ${(x.location ?? []).join('.')}: ${x.message ?? ''}`).join('\n');

/** Starts the prism proxy in front of `app` and routes the app's /api/v1 injections through it. */
export async function routeApiThroughPrism(t: Test, app: FastifyInstance): Promise<void> {
  const direct = app.inject.bind(app) as (opts: InjectOptions) => Promise<LightMyRequestResponse>;
  // Started on the first API call: tests may still add routes to the app before that.
  let started: Promise<{ prismPort: number; stop(): Promise<void>; log(): string }> | undefined;
  // A collection registered at '/' under a prefix answers both /api/v1/x and /api/v1/x/ (fastify's
  // prefixTrailingSlash 'both'); the document shows the second. Requests for the first are
  // checked as the second.
  let collectionRoots = new Set<string>();
  async function start() {
    await app.ready();
    // The app's own handler on a port of its own (tests may still call app.listen themselves).
    // Answers from the app carry a mark, so an answer prism wrote itself is told apart.
    const upstream = http.createServer((req, res) => { res.setHeader(UPSTREAM_MARK, '1'); app.routing(req, res); });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const appPort = (upstream.address() as { port: number }).port;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'oi-contract-'));
    const docFile = path.join(dir, 'openapi.json');
    const doc = (await direct({ url: '/api/openapi.json' })).body;
    writeFileSync(docFile, doc);
    collectionRoots = new Set(Object.keys((JSON.parse(doc) as { paths: object }).paths).filter((p) => p.endsWith('/')));
    const prismPort = await freePort();
    const log: string[] = [];
    const child = spawn(PRISM, ['proxy', docFile, `http://127.0.0.1:${appPort}`, '--errors', '--port', String(prismPort), '-h', '127.0.0.1'], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (c: Buffer) => { log.push(c.toString('utf8')); if (log.length > 200) log.splice(0, log.length - 200); };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const stop = async () => {
      child.kill('SIGTERM');
      await new Promise<void>((resolve) => { if (child.exitCode !== null || child.signalCode !== null) resolve(); else child.once('exit', () => resolve()); });
      await new Promise<void>((resolve) => upstream.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    };
    const since = Date.now();
    for (;;) {
      if (child.exitCode !== null) { await stop(); throw new Error(`prism exited (${child.exitCode}):\n${log.join('')}`); }
      try { await send(prismPort, 'GET', '/__prism_ready', {}); break; } catch { /* not yet listening */ }
      if (Date.now() - since > 120_000) { await stop(); throw new Error(`prism did not start in 120 s:\n${log.join('')}`); }
      await new Promise((r) => setTimeout(r, 100));
    }
    return { prismPort, stop, log: () => log.join('') };
  }

  const stats = { viaPrism: 0, refusedByDocument: 0, prismFailures: 0 };
  const refusals = new Map<string, number>();
  const inject = async (opts: InjectOptions | string): Promise<LightMyRequestResponse> => {
    const o: InjectOptions = typeof opts === 'string' ? { url: opts } : opts;
    const url = typeof o.url === 'string' ? o.url : String(o.path ?? '/');
    if (!url.startsWith('/api/v1')) return direct(o);
    const method = (o.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = String(v);
    let body: Buffer | undefined;
    const payload = o.payload ?? o.body;
    if (payload !== undefined && payload !== null) {
      if (typeof payload === 'string' || Buffer.isBuffer(payload)) body = Buffer.from(payload);
      else { body = Buffer.from(JSON.stringify(payload)); headers['content-type'] ??= 'application/json'; }
    }
    started ??= start();
    const proxy = await started;
    const [pathPart, query] = url.split(/(?=\?)/) as [string, string | undefined];
    const documented = collectionRoots.has(`${pathPart}/`) ? `${pathPart}/${query ?? ''}` : url;
    let raw: Raw;
    try {
      raw = await send(proxy.prismPort, method, documented, headers, body);
    } catch (err) {
      // prism itself failed on this request (a crash of the tool, not an answer of the app):
      // say so with its log, start a new one for the next request, and check the app directly.
      stats.prismFailures++;
      t.comment(`prism failed on ${method} ${url} (${(err as Error).message}); its log ends:\n${proxy.log().slice(-3000)}`);
      await proxy.stop().catch(() => {});
      started = start();
      const own = await direct(o);
      if (own.statusCode >= 500) t.fail(`${method} ${url} answered ${own.statusCode}: ${own.body.slice(0, 500)}`);
      return own;
    }
    stats.viaPrism++;
    const violations = violationsOf(raw);
    const response = violations.filter((v) => v.location?.[0] === 'response');
    if (response.length) {
      t.fail(`prism: the answer to ${method} ${url} is outside the document (status ${raw.statusCode}):\n${describe(violations)}`);
      return asInjectResponse(raw);
    }
    if (!violations.length) return asInjectResponse(raw);
    // Prism refused the request itself (outside the document): the server must refuse it too.
    stats.refusedByDocument++;
    const own = await direct(o);
    const key = `${method} ${url.split('?')[0]!.replace(/\/\d+(?=\/|$)/g, '/{id}')} → ${own.statusCode}`;
    refusals.set(key, (refusals.get(key) ?? 0) + 1);
    if (own.statusCode < 400 || own.statusCode >= 500) {
      t.fail(`prism refused ${method} ${url} as outside the document, but the server answered ${own.statusCode}:\n${describe(violations)}\n${own.body.slice(0, 500)}`);
    }
    return own;
  };
  (app as unknown as { inject: typeof inject }).inject = inject;

  t.teardown(async () => {
    if (!started) return;
    t.comment(`contract: ${stats.viaPrism} API requests through prism, ${stats.refusedByDocument} outside the document (refused by the server too), ${stats.prismFailures} on which prism itself failed`);
    for (const [k, n] of [...refusals].sort()) t.comment(`  outside the document: ${k} ×${n}`);
    await (await started).stop();
  });
}
