// Every failure gets a clear answer with the right status: JSON under /api (the body SPEC.md
// fixes), a page inside the layout elsewhere. Bad input is never a 500; unexpected errors are
// logged with the request id and shown without internals.
import fp from 'fastify-plugin';
import type { Socket } from 'node:net';
import FindMyWay from 'find-my-way';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, pgErrorCode, isDatabaseUnavailable, type FieldError } from '../lib/errors.ts';
import { isApiRequest } from './security.ts';

interface Answer { statusCode: number; message: string; errors?: unknown[]; allow?: string[] }

interface AjvError { keyword: string; instancePath?: string; params: Record<string, unknown>; message?: string; data?: unknown; parentSchema?: Record<string, unknown> }

const quote = (v: unknown) => (typeof v === 'string' ? `"${v}"` : JSON.stringify(v));

/** One sentence for one field's problems, however many ajv reported: a union of literals
 * (`anyOf` of `const`s, an `enum`) reports every branch, which read as nine lines of "must be
 * equal to constant" for one wrong sort. */
function sentence(field: string, errs: AjvError[]): string {
  const by = (k: string) => errs.find((e) => e.keyword === k);
  const choices = [...new Set(errs.flatMap((e) => (e.keyword === 'const' ? [e.params.allowedValue] : e.keyword === 'enum' ? (e.params.allowedValues as unknown[]) : [])))];
  const data = errs.find((e) => e.data !== undefined)?.data;
  if (by('required')) return `${field} is required.`;
  if (by('additionalProperties')) return `${field} is not a known field.`;
  if (choices.length) {
    const list = choices.map(String).join(', ');
    return field === 'sort' ? `Cannot sort by ${quote(data)}. Sortable fields: ${list}.` : `${field} must be one of: ${list}.`;
  }
  const type = by('type');
  if (type) {
    const t = String(type.params.type);
    return t === 'integer' ? `${field} must be a whole number.` : t === 'number' ? `${field} must be a number.`
      : t === 'object' ? (field === 'body' ? 'The body must be a JSON object.' : `${field} must be an object.`)
        : t === 'array' ? `${field} must be a list.` : t === 'boolean' ? `${field} must be true or false.` : `${field} must be text.`;
  }
  const range = by('minimum') ?? by('maximum') ?? by('exclusiveMinimum') ?? by('exclusiveMaximum');
  if (range) {
    const s = range.parentSchema ?? {};
    if (typeof s.minimum === 'number' && typeof s.maximum === 'number') return `${field} must be between ${s.minimum} and ${s.maximum}.`;
    if (typeof s.minimum === 'number') return `${field} must be at least ${s.minimum}.`;
    if (typeof s.maximum === 'number') return `${field} must be at most ${s.maximum}.`;
  }
  const minLength = by('minLength');
  if (minLength) return Number(minLength.params.limit) === 1 ? `${field} must not be empty.` : `${field} must be at least ${minLength.params.limit} characters.`;
  const maxLength = by('maxLength');
  if (maxLength) return `${field} must be at most ${maxLength.params.limit} characters.`;
  const items = by('minItems') ?? by('maxItems');
  if (items) return `${field} must have ${items.keyword === 'minItems' ? 'at least' : 'at most'} ${items.params.limit} items.`;
  const format = by('format');
  if (format) return `${field} must be a valid ${format.params.format}.`;
  if (by('pattern')) return `${field} is not in the expected form.`;
  const first = errs.find((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf') ?? errs[0]!;
  return `${field} ${first.message ?? 'is not valid'}.`;
}

/** One error per field, each a sentence. */
function validationErrors(err: FastifyError): FieldError[] {
  const fields = new Map<string, AjvError[]>();
  for (const v of (err.validation ?? []) as AjvError[]) {
    const params = v.params ?? {};
    const path = (v.instancePath || '').replace(/^\//, '').replace(/\//g, '.');
    const field = v.keyword === 'required' ? [path, params.missingProperty].filter(Boolean).join('.')
      : v.keyword === 'additionalProperties' ? [path, params.additionalProperty].filter(Boolean).join('.')
        : path || (err.validationContext ?? 'body');
    fields.set(field, [...(fields.get(field) ?? []), v]);
  }
  return [...fields].map(([field, errs]) => ({ field, message: sentence(field, errs) }));
}

/** Maps any thrown value to what the user is told. */
export function toAnswer(err: unknown): Answer {
  if (err instanceof HttpError) return { statusCode: err.statusCode, message: err.message, errors: err.errors };
  const e = err as FastifyError;
  if (e?.validation) {
    const errors = validationErrors(e);
    return { statusCode: 400, message: errors.map((x) => x.message).join(' ') || 'The request is not valid.', errors };
  }
  if (typeof e?.code === 'string' && e.code.startsWith('FST_CSRF')) {
    return { statusCode: 403, message: 'This form has expired or did not come from this site. Reload the page and try again.' };
  }
  if (isDatabaseUnavailable(err)) return { statusCode: 503, message: 'The database is unavailable right now. Try again in a moment.' };
  const pg = pgErrorCode(err);
  if (pg === '23505') return { statusCode: 409, message: 'That value is already taken.' };
  if (pg === '23503') return { statusCode: 409, message: 'That record is referenced elsewhere or refers to something that does not exist.' };
  // NUL (or a character the database encoding cannot hold) in any text value: PostgreSQL refuses
  // it wherever it reaches a query, and it never comes from a real form.
  if (pg === '22021' || pg === '22P05') return { statusCode: 400, message: 'A value contains a character that is not allowed.' };
  if (pg === '23514' || pg === '22003' || pg === '22P02' || pg === '22001' || pg === '22007' || pg === '22008') {
    return { statusCode: 422, message: 'A value is out of the allowed range.' };
  }
  if (pg === '40001' || pg === '40P01' || pg === '55P03' || pg === '57014') {
    return { statusCode: 409, message: 'The record is busy with another change. Try again.' };
  }
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    const message = status === 413 ? 'The request is too large.'
      : status === 415 ? 'This content type is not supported.'
        : status === 429 ? 'Too many requests. Slow down and try again shortly.'
          : e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'The request body is not valid JSON.'
            : (e.message || 'The request is not valid.');
    return { statusCode: status, message };
  }
  return { statusCode: 500, message: 'Something went wrong on our side. It has been logged; try again later.' };
}

export async function sendError(req: FastifyRequest, reply: FastifyReply, answer: Answer) {
  reply.code(answer.statusCode);
  if (answer.allow) reply.header('allow', answer.allow.join(', '));
  // A CSV export may fail after it set its headers: the error is not a file (and a JSON or HTML
  // body sent as text/csv makes Fastify fail with a 500).
  reply.removeHeader('content-type');
  reply.removeHeader('content-disposition');
  if (isApiRequest(req) || !req.headers.accept?.includes('html') && req.headers['content-type']?.includes('json')) {
    reply.header('cache-control', 'no-store');
    return reply.send({ status: answer.statusCode, message: answer.message, ...(answer.errors?.length ? { errors: answer.errors } : {}) });
  }
  try {
    // The body states the reason (`detail`); `message` would repeat it in the layout's flash region.
    return await reply.page('errors/error', { title: titleFor(answer.statusCode), status: answer.statusCode, detail: answer.message }, { fragment: 'errors/_error', status: answer.statusCode });
  } catch (renderError) {
    req.log.error({ err: renderError }, 'error page failed to render');
    return reply.type('text/plain; charset=utf-8').send(answer.message);
  }
}

function titleFor(status: number): string {
  return { 400: 'Bad request', 401: 'Sign in required', 403: 'Not allowed', 404: 'Not found', 405: 'Method not allowed', 409: 'Conflict', 413: 'Too large', 422: 'Not valid', 429: 'Too many requests', 503: 'Unavailable' }[status] ?? 'Error';
}

/** Fastify's own answer to an address it cannot route (bad percent-encoding, an over-long
 * parameter) comes before any hook or handler and has another shape: give the usual one. */
export function frameworkError(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
  const message = 'This address is not valid.';
  req.log.info({ statusCode: status, code: err.code }, 'request refused');
  if (isApiRequest(req)) return reply.code(status).header('cache-control', 'no-store').send({ status, message });
  return reply.code(status).type('text/plain; charset=utf-8').send(message);
}

// What Node's HTTP parser refuses never reaches Fastify's hooks: it answers on the socket, with
// the headers helmet would have set on a JSON error.
const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'The request headers are too large.'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'The request took too long to arrive.'],
  ERR_HTTP_REQUEST_HEADERS_TIMEOUT: [408, 'The request took too long to arrive.'],
};
const RAW_HEADERS = [
  'Content-Type: application/json; charset=utf-8', 'Cache-Control: no-store', 'X-Content-Type-Options: nosniff',
  "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'", 'X-Frame-Options: DENY',
  'Referrer-Policy: no-referrer', 'Cross-Origin-Resource-Policy: same-origin', 'Connection: close',
];

/** Fastify's clientErrorHandler: a request Node's parser refused (bad header bytes, headers too
 * large, too slow) gets `{status, message}` like every other error, not Fastify's own shape. */
export function clientError(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] = (err.code && Object.hasOwn(CLIENT_ERRORS, err.code) ? CLIENT_ERRORS[err.code] : undefined)
    ?? [400, 'The request is malformed and could not be read.'];
  this.log.info({ statusCode: status, code: err.code }, 'request refused by the HTTP parser');
  const body = JSON.stringify({ status, message });
  if (socket.writable) {
    const reason = status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
    socket.write(`HTTP/1.1 ${status} ${reason}\r\n${RAW_HEADERS.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }
  socket.destroy(err);
}

/**
 * The onRequest hook that answers 405 with Allow when the path exists with other methods, and
 * 404 when a route matched only through an empty parameter (`/customers/` reaching
 * `/customers/:id`). Fastify's own router knows only "no route" (404). Register it before the
 * routes (it records them) and after the security headers and the session (its page needs them).
 */
export function methodCheck(app: FastifyInstance) {
  const routes = FindMyWay();
  const methods = new Set<string>();
  app.addHook('onRoute', (opts) => {
    for (const method of [opts.method].flat()) {
      methods.add(method);
      try { routes.on(method as 'GET', opts.url, () => {}); } catch { /* a route seen twice ("/x" and "/x/" of a prefix) */ }
    }
  });
  const matchesOne = (method: string, path: string) => {
    const found = routes.find(method as 'GET', path);
    return !!found && !Object.values(found.params).some((v) => v === '');
  };
  // A prefixed plugin's root answers on "/x" and "/x/", but onRoute reports only one of them.
  const matches = (method: string, path: string) => matchesOne(method, path) || (path.length > 1 && path.endsWith('/') && matchesOne(method, path.slice(0, -1)));
  app.addHook('onRequest', async function refuseWrongMethod(req, reply) {
    const params = (req.params ?? {}) as Record<string, unknown>;
    const emptyParam = Object.values(params).some((v) => v === '');
    if (!req.is404 && !emptyParam) return;
    const path = req.url.split('?')[0]!;
    const allow = [...methods].filter((m) => matches(m, path)).sort();
    if (allow.length && !allow.includes(req.method)) return sendError(req, reply, { statusCode: 405, message: `${req.method} is not allowed here. Use ${allow.join(', ')}.`, allow });
    if (emptyParam) return sendError(req, reply, notFoundAnswer(req));
  });
}

const notFoundAnswer = (req: FastifyRequest): Answer => ({ statusCode: 404, message: isApiRequest(req) ? `No route ${req.method} ${req.url.split('?')[0]}.` : 'There is nothing at this address.' });

export default fp(async function errorsPlugin(app: FastifyInstance) {
  app.setErrorHandler(async function handleError(err, req, reply) {
    const answer = toAnswer(err);
    if (answer.statusCode >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ statusCode: answer.statusCode, msg: answer.message }, 'request refused');
    if (answer.statusCode === 503) reply.header('retry-after', '5');
    return sendError(req, reply, answer);
  });
  app.setNotFoundHandler(async function notFoundPage(req, reply) {
    return sendError(req, reply, notFoundAnswer(req));
  });
}, { name: 'errors' });
