// The suite's HTTP clients: `call` for JSON requests (never throws: a refused connection, a
// reset or a hang is an answer too, status 0), a status tally for the reports, and `Browser`, a
// cookie-keeping client for the pages that may talk to any server process (a balancer's view of
// one browser).

// ------------------------------------------------------------------------------------- HTTP
export interface Answer {
  status: number;
  body: any;
  headers: Headers | null;
  /** Set when there was no HTTP answer at all: refused, reset, timed out. */
  error?: string;
  ms: number;
}

export interface CallOptions { token?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number; cookie?: string }

/** One request; never throws. status 0 = no answer (error says why). */
export async function call(base: string, method: string, url: string, opts: CallOptions = {}): Promise<Answer> {
  const started = performance.now();
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.body !== undefined) headers['content-type'] ??= 'application/json';
  try {
    const res = await fetch(`${base}${url}`, {
      method, headers, redirect: 'manual',
      body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 20_000),
    });
    const text = await res.text();
    let body: any = text;
    try { body = JSON.parse(text); } catch { /* a page */ }
    return { status: res.status, body, headers: res.headers, ms: performance.now() - started };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === 'TimeoutError' ? 'timeout' : e.cause?.code ?? e.cause?.message ?? e.message;
    return { status: 0, body: null, headers: null, error: why, ms: performance.now() - started };
  }
}

/** Counts of statuses ("0:ECONNREFUSED" for no answer) for the report. */
export class Tally {
  readonly counts = new Map<string, number>();
  add(a: Answer) {
    const k = a.status ? String(a.status) : `0:${a.error}`;
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
  }
  get(k: string) { return this.counts.get(k) ?? 0; }
  total() { return [...this.counts.values()].reduce((a, b) => a + b, 0); }
  toString() { return JSON.stringify(Object.fromEntries([...this.counts].sort())); }
}

// ------------------------------------------------------------------------------------- browser
/** A cookie-keeping client for the pages, usable against any server process (a balancer's view
 * of one browser): keeps the session cookie and the CSRF token of the last page it saw. */
export class Browser {
  readonly cookies = new Map<string, string>();
  csrf = '';

  /** headers: sent with every request (a balancer's X-Forwarded-Proto, say). */
  constructor(private readonly headers: Record<string, string> = {}) {}

  cookie(): string { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '); }

  private async send(base: string, method: string, url: string, form?: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer & { text: string }> {
    const started = performance.now();
    const body = form ? new URLSearchParams({ ...(this.csrf ? { _csrf: this.csrf } : {}), ...form }).toString() : undefined;
    try {
      const res = await fetch(`${base}${url}`, {
        method, redirect: 'manual', body, signal: AbortSignal.timeout(20_000),
        headers: { accept: 'text/html', cookie: this.cookie(), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...this.headers, ...headers },
      });
      for (const c of res.headers.getSetCookie()) {
        const [pair, ...attrs] = c.split(';');
        const [name, ...rest] = pair!.split('=');
        const expired = attrs.some((a) => /^\s*expires=/i.test(a) && new Date(a.split('=')[1]!).getTime() < Date.now())
          || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a));
        if (expired) this.cookies.delete(name!.trim());
        else this.cookies.set(name!.trim(), rest.join('='));
      }
      const text = await res.text();
      const m = /name="_csrf" value="([^"]+)"/.exec(text) ?? /&quot;x-csrf-token&quot;:&quot;([^&]+)&quot;/.exec(text);
      if (m) this.csrf = m[1]!;
      return { status: res.status, body: text, text, headers: res.headers, ms: performance.now() - started };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      return { status: 0, body: null, text: '', headers: null, error: e.cause?.code ?? e.message, ms: performance.now() - started };
    }
  }

  get(base: string, url: string, headers?: Record<string, string>) { return this.send(base, 'GET', url, undefined, headers); }
  post(base: string, url: string, form: Record<string, string> = {}, headers?: Record<string, string>) { return this.send(base, 'POST', url, form, headers); }

  /** Signs in through the login form: GET /login on one process, POST on another if given. */
  async login(getFrom: string, postTo: string, email: string, password: string, headers?: Record<string, string>) {
    await this.get(getFrom, '/login', headers);
    return this.post(postTo, '/login', { email, password }, headers);
  }
}
