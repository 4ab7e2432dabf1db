// One load measurement with autocannon's programmatic API. autocannon's own summary has no p95,
// so every response time is kept (a 10 s run is well under a million numbers) and the
// percentiles are computed here; status codes come from autocannon's per-code counts.
import autocannon from 'autocannon';

export interface LoadSpec {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  /** A fresh JSON body for every request. */
  body?: () => unknown;
  /** A fresh path for every request (e.g. a random order id). */
  nextPath?: () => string;
  connections: number;
  seconds: number;
}

export interface LoadResult {
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Responses by status code. */
  status: Record<string, number>;
  ok: number;
  errors: number;
  timeouts: number;
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!sorted.length) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export async function runLoad(baseUrl: string, spec: LoadSpec): Promise<LoadResult> {
  const dynamic = spec.body !== undefined || spec.nextPath !== undefined;
  const headers = { ...spec.headers, ...(spec.body ? { 'content-type': 'application/json' } : {}) };
  const instance = autocannon({
    url: baseUrl,
    connections: spec.connections,
    duration: spec.seconds,
    timeout: 30,
    requests: [{
      method: spec.method,
      path: spec.path,
      headers,
      ...(dynamic ? {
        setupRequest: (req) => ({
          ...req,
          path: spec.nextPath ? spec.nextPath() : spec.path,
          ...(spec.body ? { body: JSON.stringify(spec.body()) } : {}),
        }),
      } : {}),
    }],
  });
  const times: number[] = [];
  instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => { times.push(ms); });
  const r = await instance;
  const sorted = Float64Array.from(times).sort();
  const status: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(r.statusCodeStats ?? {})) status[code] = count;
  const ok = Object.entries(status).filter(([c]) => c.startsWith('2')).reduce((n, [, v]) => n + v, 0);
  return {
    connections: spec.connections,
    seconds: round(r.duration, 2),
    requests: times.length,
    rps: round(times.length / Math.max(r.duration, 0.001), 0),
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.length ? sorted[sorted.length - 1]! : 0),
    status,
    ok,
    errors: r.errors,
    timeouts: r.timeouts,
  };
}

/** One request outside the load (preflight, cursor walking). */
export async function request(baseUrl: string, method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: unknown, timeoutMs = 60_000): Promise<{ status: number; text: string }> {
  const res = await fetch(baseUrl + path, {
    method,
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: res.status, text: await res.text() };
}
