// One error type for everything the user can be told about. The error handler turns it into a
// JSON body for the API and a page (or a re-rendered form) for the back office.
export interface FieldError { field: string; message: string }

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly errors?: Array<FieldError | Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string, errors?: FieldError[]) => new HttpError(400, message, errors);
export const unauthorized = (message = 'Sign in to continue.') => new HttpError(401, message);
export const forbidden = (message = 'You do not have access to this.') => new HttpError(403, message);
export const notFound = (what = 'The page') => new HttpError(404, `${what} was not found.`);
export const conflict = (message: string, errors?: Array<FieldError | Record<string, unknown>>) =>
  new HttpError(409, message, errors);
export const unprocessable = (message: string, errors?: FieldError[]) => new HttpError(422, message, errors);
export const tooManyRequests = (message: string) => new HttpError(429, message);

/** PostgreSQL error codes we answer as the user's problem rather than ours. */
export function pgErrorCode(err: unknown): string | undefined {
  let e: unknown = err;
  // Drizzle wraps driver errors in DrizzleQueryError with the original as `cause`.
  for (let i = 0; i < 3 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function isDatabaseUnavailable(err: unknown): boolean {
  const code = pgErrorCode(err);
  if (code && (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03')) return true;
  let e: unknown = err;
  for (let i = 0; i < 3 && e && typeof e === 'object'; i++) {
    const c = (e as { code?: unknown }).code;
    const m = String((e as { message?: unknown }).message ?? '');
    if (c === 'ECONNREFUSED' || c === 'ECONNRESET' || c === 'ETIMEDOUT' || c === 'EPIPE') return true;
    if (/Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(m)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
