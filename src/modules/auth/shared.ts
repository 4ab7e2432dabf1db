// What the sign-in, registration and password pages share.
import type { FastifyRequest } from 'fastify';
import type { FieldErrors } from '../../lib/form.ts';
import { passwordProblem } from '../../lib/password.ts';

export const homeFor = (role: string) => (role === 'customer' ? '/account' : '/dashboard');

/** Starts a fresh session for the user (new id against fixation), keeping the shopping cart. */
export async function signIn(req: FastifyRequest, userId: number) {
  await req.session.regenerate(['cart', 'storeId']);
  req.session.userId = userId;
  req.session.authAt = Date.now();
}

export function confirmProblem(password: string, confirm: string, email?: string): FieldErrors {
  const errors: FieldErrors = {};
  const problem = passwordProblem(password, email);
  if (problem) errors.password = problem;
  if (password !== confirm) errors.confirm = 'The two passwords are not the same.';
  return errors;
}
