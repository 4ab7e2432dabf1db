// What the sign-in, registration and password pages share.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FieldErrors } from '../../lib/form.ts';
import { passwordProblem } from '../../lib/password.ts';
import type { Role } from '../../db/schema/index.ts';
import { rotateCsrfSecret } from '../../plugins/security.ts';

export const homeFor = (role: string) => (role === 'customer' ? '/account' : '/dashboard');

/** Starts a fresh session for the user (new id against fixation, and a new CSRF secret from the
 * next page on), keeping the shopping cart. */
export async function signIn(req: FastifyRequest, reply: FastifyReply, userId: number) {
  await req.session.regenerate(['cart', 'storeId']);
  rotateCsrfSecret(reply, req.server.config);
  req.session.userId = userId;
  req.session.authAt = Date.now();
}

export function confirmProblem(password: string, confirm: string, email: string, role: Role): FieldErrors {
  const errors: FieldErrors = {};
  const problem = passwordProblem(password, email, role);
  if (problem) errors.password = problem;
  if (password !== confirm) errors.confirm = 'The two passwords are not the same.';
  return errors;
}
