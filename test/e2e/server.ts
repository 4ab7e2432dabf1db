// Shared start/stop helpers for the end-to-end tests: the real server as a child process
// (`node --import tsx src/server.ts`) on a free port with a fresh embedded database, and
// Debian's chromium driven by playwright-core (never playwright's own browser download).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type ConsoleMessage, type Locator, type Page, type Response } from 'playwright-core';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SCREENSHOT_DIR = path.join(ROOT, 'test', 'e2e', 'screenshots');

/** A port nobody listens on right now (the kernel picks it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface Account { role: string; email: string; password: string }

export interface RunningServer {
  baseUrl: string;
  port: number;
  dataDir: string;
  mailDir: string;
  seeded: boolean;
  /** The logins printed on first start (admin always; staff and customer with demo data). */
  accounts: Account[];
  admin: Account;
  /** Everything the server printed so far. */
  output(): { stdout: string; stderr: string };
  /** How the server process ended, if it has ("SIGTERM at 12:00:01.234"), for test output:
   * a test failing with "connection refused" then says whether something else stopped it. */
  exited(): string | null;
  stop(): Promise<void>;
}

/** Demo data by default once the seed module exists; E2E_SEED=true|false overrides. */
export function seedDemoWanted(): boolean {
  const flag = process.env.E2E_SEED;
  if (flag !== undefined && flag !== '') return ['1', 'true', 'yes', 'on'].includes(flag.toLowerCase());
  return existsSync(path.join(ROOT, 'src', 'db', 'seed.ts'));
}

const ACCOUNT_LINE = /^\s*(admin|staff|customer)\s+(\S+@\S+)\s+(\S+)\s*$/gm;

export function parseAccounts(stdout: string): Account[] {
  return [...stdout.matchAll(ACCOUNT_LINE)].map((m) => ({ role: m[1]!, email: m[2]!, password: m[3]! }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => { clearTimeout(timer); resolve(true); });
  });
}

export async function startServer(opts: { seedDemo?: boolean; startTimeoutMs?: number; env?: Record<string, string> } = {}): Promise<RunningServer> {
  const seedDemo = opts.seedDemo ?? seedDemoWanted();
  const port = await freePort();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'oi-e2e-'));
  const mailDir = path.join(dataDir, 'mail');
  const baseUrl = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Nothing from the caller's environment may point the server at another database or mailer.
  for (const name of ['DATABASE_URL', 'TEST_DATABASE_URL', 'PGLITE_DIR', 'SMTP_URL', 'WEB_CONCURRENCY', 'NODE_ENV',
    'COOKIE_SECURE', 'TRUST_PROXY', 'SESSION_SECRET', 'ADMIN_EMAIL', 'NODE_OPTIONS']) delete env[name];
  Object.assign(env, {
    PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, MAIL_DIR: mailDir, BASE_URL: baseUrl,
    LOG_LEVEL: 'warn', SEED_DEMO: String(seedDemo), ...opts.env,
  });
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const output = () => ({ stdout, stderr });
  let exitNote: string | null = null;
  child.once('exit', (code, signal) => { exitNote = `${signal ?? `exit code ${code}`} at ${new Date().toISOString().slice(11, 23)}`; });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      if (!await waitForExit(child, 10_000)) {
        child.kill('SIGKILL');
        await waitForExit(child, 5_000);
      }
    }
    await rm(dataDir, { recursive: true, force: true }).catch(() => {});
  };
  const fail = async (why: string) => {
    await stop();
    return new Error(`${why}\n--- server stdout ---\n${stdout.slice(-4000)}\n--- server stderr ---\n${stderr.slice(-4000)}`);
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? (seedDemo ? 120_000 : 45_000));
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw await fail(`server exited early (${child.signalCode ?? child.exitCode})`);
    if (Date.now() > deadline) throw await fail('server did not answer /health in time');
    try {
      const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) break;
    } catch { /* not listening yet */ }
    await sleep(200);
  }
  // The logins are printed before the server listens; give the pipe a moment to deliver them.
  let accounts = parseAccounts(stdout);
  for (let i = 0; i < 25 && !accounts.some((a) => a.role === 'admin'); i++) {
    await sleep(100);
    accounts = parseAccounts(stdout);
  }
  const admin = accounts.find((a) => a.role === 'admin');
  if (!admin) throw await fail('no admin login found on the server\'s stdout');
  return { baseUrl, port, dataDir, mailDir, seeded: seedDemo, accounts, admin, output, exited: () => (stopped ? null : exitNote), stop };
}

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--disable-quic', '--no-first-run'];

export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/lib/chromium/chromium', '/usr/bin/chromium'].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`chromium not found (looked in ${candidates.join(', ')}); install it with: apt-get install -y chromium`);
  return found;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** Collects console errors, page errors and CSP violations of a page. Navigations that are
 * expected to answer with an error status (a refused login is a 401) may be announced with
 * `expectStatus`, so the console line Chromium prints for them is not counted. */
export class BrowserErrors {
  readonly errors: string[] = [];
  private expected = new Set<number>();

  /** Starts watching a page; call before its first navigation. */
  static async watch(page: Page): Promise<BrowserErrors> {
    const watcher = new BrowserErrors(page);
    // Chromium reports CSP violations on the console too; this listener, installed before any
    // page script runs, makes sure none goes unnoticed.
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline code'} (${e.sourceFile || 'page'}:${e.lineNumber})`);
      });
    });
    return watcher;
  }

  private constructor(page: Page) {
    page.on('console', (msg: ConsoleMessage) => {
      if (msg.type() !== 'error') return;
      const text = msg.text();
      const status = /Failed to load resource: the server responded with a status of (\d{3})/.exec(text);
      if (status && this.expected.has(Number(status[1])) && msg.location().url === page.url()) return;
      this.errors.push(`console.error at ${msg.location().url || page.url()}: ${text}`);
    });
    page.on('pageerror', (err) => { this.errors.push(`page error at ${page.url()}: ${err.message}`); });
  }

  /** Runs `fn` allowing the given error statuses for the page's own document. */
  async expectStatus<T>(status: number, fn: () => Promise<T>): Promise<T> {
    this.expected.add(status);
    try {
      return await fn();
    } finally {
      // Console events arrive asynchronously; let them drain before closing the window.
      await sleep(100);
      this.expected.delete(status);
    }
  }

  take(): string[] {
    return this.errors.splice(0);
  }
}

/** The newest .eml file in the mail directory (waiting briefly for it to appear). */
export async function newestMail(mailDir: string, after = 0, timeoutMs = 10_000): Promise<{ file: string; text: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const names = existsSync(mailDir) ? (await readdir(mailDir)).filter((n) => n.endsWith('.eml')) : [];
    const files = await Promise.all(names.map(async (n) => {
      const file = path.join(mailDir, n);
      return { file, mtime: (await stat(file)).mtimeMs };
    }));
    const fresh = files.filter((f) => f.mtime >= after).sort((a, b) => b.mtime - a.mtime || b.file.localeCompare(a.file));
    if (fresh[0]) return { file: fresh[0].file, text: await readFile(fresh[0].file, 'utf8') };
    if (Date.now() > deadline) throw new Error(`no new .eml file under ${mailDir}`);
    await sleep(100);
  }
}

/** Undoes quoted-printable soft line breaks (`=` at a line end) and escapes (`=3D`). */
export function decodeQuotedPrintable(text: string): string {
  const bytes = text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** The readable text of a raw single-part or multipart message: every part decoded by its
 * Content-Transfer-Encoding (quoted-printable, base64 or as is). */
export function mailText(raw: string): string {
  const parts = raw.replace(/\r\n/g, '\n').split(/\n--[^\n]*\n/);
  return parts.map((part) => {
    const split = part.indexOf('\n\n');
    if (split < 0) return part;
    const headers = part.slice(0, split);
    const body = part.slice(split + 2);
    const encoding = /^content-transfer-encoding:\s*([\w-]+)/im.exec(headers)?.[1]?.toLowerCase();
    if (encoding === 'quoted-printable') return `${headers}\n\n${decodeQuotedPrintable(body)}`;
    if (encoding === 'base64') return `${headers}\n\n${Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')}`;
    return part;
  }).join('\n');
}

/** The password-reset link in a raw .eml message. */
export function resetLinkFrom(raw: string): string | undefined {
  const match = /https?:\/\/[^\s"'<>]+\/reset-password\?token=[^\s"'<>&]+/.exec(mailText(raw));
  return match?.[0];
}

// ---------------------------------------------------------------------------------------------
// Browser helpers shared by the journey files (lists, order journey, pages).

/** An account to sign in with (a server's printed login or one registered during a test). */
export interface Login { email: string; password: string }

/** The printed login of a role (admin, staff, customer); throws if the server printed none. */
export function accountOf(server: RunningServer, role: string): Account {
  const account = server.accounts.find((a) => a.role === role);
  if (!account) throw new Error(`the server printed no ${role} login (demo data: ${server.seeded})`);
  return account;
}

/** Clicks `target` (a submit button) and returns the response to the POST to `action` (a
 * pathname, or a test of it), after the document that follows it has loaded: the re-rendered
 * form or the redirect's target, so nothing afterwards looks at the page that was just left. */
export async function submitForm(p: Page, target: Locator, action: string | ((pathname: string) => boolean)): Promise<Response> {
  const matches = typeof action === 'string' ? (pathname: string) => pathname === action : action;
  const [response] = await Promise.all([
    p.waitForResponse((r) => r.request().method() === 'POST' && r.request().resourceType() === 'document' && matches(new URL(r.url()).pathname)),
    p.waitForEvent('framenavigated', (frame) => frame === p.mainFrame()),
    target.click(),
  ]);
  await p.waitForLoadState('load');
  return response;
}

/** Signs in through the form and waits to land on the role's home page. */
export async function signIn(p: Page, login: Login): Promise<Response> {
  await p.goto('/login');
  await p.locator('input[name="email"]').fill(login.email);
  await p.locator('input[name="password"]').fill(login.password);
  const response = await submitForm(p, p.getByRole('button', { name: 'Sign in', exact: true }), '/login');
  if (response.status() !== 303) throw new Error(`signing in as ${login.email} answered ${response.status()}`);
  return response;
}

/** Runs `act` and waits for the htmx request it triggers (an XHR with HX-Request) whose URL
 * passes `test`; returns that response. htmx swaps and pushes the URL right after it arrives,
 * so callers then wait for the URL or the element they expect. */
export async function htmxResponse(p: Page, test: (url: URL, method: string) => boolean, act: () => Promise<unknown>): Promise<Response> {
  const [response] = await Promise.all([
    p.waitForResponse((r) => r.request().headers()['hx-request'] === 'true' && test(new URL(r.url()), r.request().method())),
    act(),
  ]);
  return response;
}

/** Sets a marker on window; `stillSamePage` is true while no full page load has happened since. */
export async function markPage(p: Page): Promise<() => Promise<boolean>> {
  const token = Math.random().toString(36).slice(2);
  await p.evaluate((v) => { (window as unknown as { e2eMarker: string }).e2eMarker = v; }, token);
  return async () => (await p.evaluate(() => (window as unknown as { e2eMarker?: string }).e2eMarker)) === token;
}

/** Saves a full-page screenshot under test/e2e/screenshots/ and returns its path (relative to
 * the repository) for the test output. */
export async function saveScreenshot(p: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  // caret 'initial': by default Playwright hides the text caret by setting style.caretColor on
  // inputs and leaves them with an empty style="" afterwards, which htmx later copies while
  // settling a swap (a style-src-attr CSP violation that is the screenshot's doing, not the app's).
  await p.screenshot({ path: file, fullPage: true, caret: 'initial' });
  return path.relative(ROOT, file);
}

/** Numbers shown in table cells ("1,234.50" → 1234.5). */
export async function cellNumbers(cells: Locator): Promise<number[]> {
  return (await cells.allInnerTexts()).map((s) => Number(s.replace(/[^\d.-]/g, '')));
}

export const isSorted = (xs: number[], order: 'asc' | 'desc') =>
  xs.every((x, i) => i === 0 || (order === 'asc' ? xs[i - 1]! <= x : xs[i - 1]! >= x));

export interface AxeViolation { id: string; impact: string | null; help: string; nodes: string[] }

export const AXE_PATH = path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');
let axeSource: string | undefined;

/** axe-core's violations on the page as it is now (WCAG 2.x A/AA and best-practice rules).
 * The app's CSP (script-src 'self') blocks page.addScriptTag, which inserts an inline script,
 * so axe's source is evaluated through the DevTools protocol instead: the page keeps its CSP. */
export async function axeViolations(p: Page): Promise<AxeViolation[]> {
  axeSource ??= await readFile(AXE_PATH, 'utf8');
  if (!await p.evaluate(() => 'axe' in window)) await p.evaluate(axeSource);
  return p.evaluate(async () => {
    type AxeResult = { violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[]; failureSummary?: string }> }> };
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<AxeResult> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${(n.failureSummary ?? '').replace(/\s+/g, ' ').slice(0, 200)}`),
    }));
  });
}

/** The violations that fail a page: impact "serious" or "critical". */
export const severe = (vs: AxeViolation[]) => vs.filter((v) => v.impact === 'serious' || v.impact === 'critical');

export interface StockedProduct { storeId: number; productId: number; sku: string; productName: string; available: number }

/** Active products with the most units available at a store, most first, as the back office
 * shows them (the inventory list sorted by available, less the inactive products: the demo
 * data has a few, and they cannot be ordered). `p` is signed in as staff or admin. */
export async function stockedProducts(p: Page, storeId: number | string, count = 2): Promise<StockedProduct[]> {
  await p.goto('/products?active=false&limit=200');
  const inactive = new Set((await p.locator('#products-table tbody tr td:nth-child(2)').allInnerTexts()).map((s) => s.trim()));
  await p.goto(`/inventory?storeId=${storeId}&sort=available&order=desc`);
  const rows = await p.locator('#inventory-table tbody tr').evaluateAll((trs) => trs.map((tr) => {
    const [, store, product] = /^inventory-row-(\d+)-(\d+)$/.exec(tr.id) ?? [];
    const cells = tr.children;
    return {
      storeId: Number(store), productId: Number(product), sku: cells[1]!.textContent!.trim(),
      productName: (cells[2]!.firstChild?.textContent ?? '').trim(),
      available: parseInt(cells[5]!.textContent!.replace(/,/g, ''), 10),
    };
  }));
  const found = rows.filter((r) => !inactive.has(r.sku) && r.available > 0).slice(0, count);
  if (found.length < count) throw new Error(`store ${storeId} has fewer than ${count} active products in stock`);
  return found;
}

/** The newest .eml file addressed to `email` written at or after `after` (waiting for it):
 * unlike newestMail, not confused by other mail sent meanwhile (tests running side by side). */
export async function mailTo(mailDir: string, email: string, after = 0, timeoutMs = 10_000): Promise<{ file: string; text: string }> {
  const deadline = Date.now() + timeoutMs;
  const to = new RegExp(`^To: .*${email.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'mi');
  for (;;) {
    const names = existsSync(mailDir) ? (await readdir(mailDir)).filter((n) => n.endsWith('.eml')) : [];
    const files = await Promise.all(names.map(async (n) => ({ file: path.join(mailDir, n), mtime: (await stat(path.join(mailDir, n))).mtimeMs })));
    for (const f of files.filter((x) => x.mtime >= after).sort((a, b) => b.mtime - a.mtime)) {
      const text = await readFile(f.file, 'utf8');
      if (to.test(text)) return { file: f.file, text };
    }
    if (Date.now() > deadline) throw new Error(`no new mail to ${email} under ${mailDir}`);
    await sleep(100);
  }
}
