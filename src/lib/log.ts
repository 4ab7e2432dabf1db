// What the server log may hold: no secret. Query values are replaced (reset and invite links
// carry their token there, searches carry names and emails) while the field names stay, and a
// failed query's parameters (a session id, a token hash, a password hash) are left out of its
// error. Headers are not logged at all (cookies and bearer tokens).
import type { FastifyRequest } from 'fastify';

const REDACTED = '[Redacted]';

/** The URL with every query value replaced: `/reset-password?token=[Redacted]`. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const query = url.slice(q + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    return eq < 0 ? pair : `${pair.slice(0, eq)}=${REDACTED}`;
  });
  return `${url.slice(0, q)}?${query.join('&')}`;
}

/** Drizzle puts a failed statement's parameters in its message (and so its stack). */
const withoutParams = (text: string): string => text.replace(/\nparams: [^\n]*/g, `\nparams: ${REDACTED}`);

const HIDDEN = new Set(['params', 'message', 'stack']);

type SerializedError = { [key: string]: unknown; type: string; message: string; stack: string };

function serializeError(err: Error, depth = 0): SerializedError {
  const out: SerializedError = {
    type: err.constructor?.name ?? err.name,
    message: withoutParams(err.message),
    stack: withoutParams(err.stack ?? ''),
  };
  for (const [key, value] of Object.entries(err)) {
    if (HIDDEN.has(key) || value === undefined) continue;
    out[key] = value instanceof Error ? nested(value, depth) : value;
  }
  if (err.cause !== undefined && !('cause' in out)) out.cause = err.cause instanceof Error ? nested(err.cause, depth) : err.cause;
  return out;
}

const nested = (err: Error, depth: number) => (depth < 5 ? serializeError(err, depth + 1) : '[Error]');

export const logSerializers = {
  req(req: FastifyRequest) {
    return {
      method: req.method,
      url: redactUrl(req.url),
      host: req.host,
      remoteAddress: req.ip,
      remotePort: req.socket?.remotePort,
    };
  },
  err: (err: Error) => serializeError(err),
};
