// Every failure gets a clear answer with the right status: JSON under /api (the body SPEC.md
// fixes), a page inside the layout elsewhere. Bad input is never a 500; unexpected errors are
// logged with the request id and shown without internals.
import fp from 'fastify-plugin';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, pgErrorCode, isDatabaseUnavailable, type FieldError } from '../lib/errors.ts';
import { isApiRequest } from './security.ts';

interface Answer { statusCode: number; message: string; errors?: unknown[] }

function validationErrors(err: FastifyError): FieldError[] {
  return (err.validation ?? []).map((v) => {
    const params = v.params as Record<string, unknown>;
    const path = (v.instancePath || '').replace(/^\//, '').replace(/\//g, '.');
    const field = v.keyword === 'required' ? [path, params.missingProperty].filter(Boolean).join('.')
      : v.keyword === 'additionalProperties' ? [path, params.additionalProperty].filter(Boolean).join('.')
        : path || (err.validationContext ?? 'body');
    const message = v.keyword === 'required' ? 'is required'
      : v.keyword === 'additionalProperties' ? 'is not a known field' : (v.message ?? 'is not valid');
    return { field, message };
  });
}

/** Maps any thrown value to what the user is told. */
export function toAnswer(err: unknown): Answer {
  if (err instanceof HttpError) return { statusCode: err.statusCode, message: err.message, errors: err.errors };
  const e = err as FastifyError;
  if (e?.validation) {
    const errors = validationErrors(e);
    const where = e.validationContext === 'querystring' ? 'query parameters' : e.validationContext === 'params' ? 'address' : 'request';
    return { statusCode: 400, message: `The ${where} has invalid fields: ${errors.map((x) => `${x.field} ${x.message}`).join('; ')}.`, errors };
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
  // A CSV export may fail after it set its headers: the error is not a file (and a JSON or HTML
  // body sent as text/csv makes Fastify fail with a 500).
  reply.removeHeader('content-type');
  reply.removeHeader('content-disposition');
  if (isApiRequest(req) || !req.headers.accept?.includes('html') && req.headers['content-type']?.includes('json')) {
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
  return { 400: 'Bad request', 401: 'Sign in required', 403: 'Not allowed', 404: 'Not found', 409: 'Conflict', 413: 'Too large', 422: 'Not valid', 429: 'Too many requests', 503: 'Unavailable' }[status] ?? 'Error';
}

/** Fastify's own answer to an address it cannot route (bad percent-encoding, an over-long
 * parameter) comes before any hook or handler and has another shape: give the usual one. */
export function frameworkError(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
  const message = 'This address is not valid.';
  req.log.info({ statusCode: status, code: err.code }, 'request refused');
  if (isApiRequest(req)) return reply.code(status).send({ status, message });
  return reply.code(status).type('text/plain; charset=utf-8').send(message);
}

export default fp(async function errorsPlugin(app: FastifyInstance) {
  app.setErrorHandler(async function handleError(err, req, reply) {
    const answer = toAnswer(err);
    if (answer.statusCode >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ statusCode: answer.statusCode, msg: answer.message }, 'request refused');
    if (answer.statusCode === 503) reply.header('retry-after', '5');
    return sendError(req, reply, answer);
  });
  app.setNotFoundHandler(async function notFoundPage(req, reply) {
    return sendError(req, reply, { statusCode: 404, message: isApiRequest(req) ? `No route ${req.method} ${req.url.split('?')[0]}.` : 'There is nothing at this address.' });
  });
}, { name: 'errors' });
