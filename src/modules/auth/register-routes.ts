// Self-registration (views/auth/register*.eta). The form answers the same for every address and
// does its lookup, hashing and mail after the answer; the mailed link leads to a page whose POST
// (never the GET, which link scanners follow) creates the login and signs the person in.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseForm, type FieldErrors } from '../../lib/form.ts';
import { HttpError, tooManyRequests } from '../../lib/errors.ts';
import { anonymousHashing, GATE_BUSY } from '../../lib/argon2-gate.ts';
import { RegisterForm, ConfirmRegistrationForm } from './schema.ts';
import { registrationSent, requestRegistration, findValidRegistration, completeRegistration } from './registration.ts';
import { assertFormAllowed } from './limits.ts';
import { homeFor, signIn, confirmProblem } from './shared.ts';

type Body = { Body: Record<string, unknown> };
type Query = { Querystring: Record<string, string | undefined> };

const tooMany = (err: unknown): err is HttpError => err instanceof HttpError && err.statusCode === 429;
export const WRONG_PASSWORD = 'This is not the password you chose when registering.';

export default async function registrationRoutes(app: FastifyInstance) {
  const gate = () => anonymousHashing(app.config.anonymousHashing);

  app.get('/register', async function registerPage(req, reply) {
    if (req.user) return reply.redirect(homeFor(req.user.role));
    return reply.page('auth/register', { title: 'Create an account', values: {}, errors: {} });
  });

  app.post('/register', async function register(req: FastifyRequest<Body>, reply) {
    const form = parseForm(RegisterForm, req.body);
    const { password: _p, confirm: _c, ...values } = (form.ok ? form.value : form.values) as Record<string, unknown>;
    const errors: FieldErrors = form.ok ? confirmProblem(form.value.password, form.value.confirm, form.value.email, 'customer') : form.errors;
    const again = (status: number, message?: string) =>
      reply.page('auth/register', { title: 'Create an account', values, errors, message }, { status });
    if (!form.ok || Object.keys(errors).length) return again(422);
    try {
      await assertFormAllowed(app.db, app.config, 'register', req.ip);
      if (gate().full) throw tooManyRequests(GATE_BUSY);
    } catch (err) {
      if (tooMany(err)) return again(429, err.message);
      throw err;
    }
    // Everything that depends on the address happens after the answer: new, a customer record,
    // a customer's, a staff member's or an administrator's login all get this same answer.
    const { email, fullName, password } = form.value;
    const actor = req.actor();
    app.afterAnswer(reply, () => requestRegistration(app.db, app.config, app.mailer, { email, fullName, password }, actor));
    reply.flash('info', registrationSent(app.config));
    return reply.code(303).redirect('/login');
  });

  app.get('/register/confirm', async function confirmPage(req: FastifyRequest<Query>, reply) {
    const token = req.query.token ?? '';
    const pending = await findValidRegistration(app.db, token);
    if (!pending) return invalidLink(reply);
    return reply.page('auth/register-confirm', { title: 'Finish creating your account', values: { token }, email: pending.email, errors: {} });
  });

  app.post('/register/confirm', async function confirmRegistration(req: FastifyRequest<Body>, reply) {
    const form = parseForm(ConfirmRegistrationForm, req.body);
    if (!form.ok && form.errors.token) return invalidLink(reply);
    const token = String((form.ok ? form.value : form.values).token);
    const again = async (status: number, errors: FieldErrors, message?: string) => {
      // A refusal for too many attempts says so whatever the link (and costs no lookup).
      const pending = status === 429 ? null : await findValidRegistration(app.db, token);
      if (!pending && status !== 429) return invalidLink(reply);
      return reply.page('auth/register-confirm', { title: 'Finish creating your account', values: { token }, email: pending?.email, errors, message }, { status });
    };
    let done;
    try {
      await assertFormAllowed(app.db, app.config, 'register-confirm', req.ip);
      if (!form.ok) return await again(422, form.errors);
      done = await completeRegistration(app.db, app.config, form.value.token, form.value.password, req.actor());
    } catch (err) {
      if (tooMany(err)) return again(429, {}, err.message);
      throw err;
    }
    if (!done.ok) return done.reason === 'password' ? again(422, { password: WRONG_PASSWORD }) : invalidLink(reply);
    await signIn(req, reply, done.userId);
    return reply.seeOther('/account', 'Welcome! Your account is ready.');
  });

  function invalidLink(reply: FastifyReply) {
    return reply.page('auth/register-invalid', { title: 'Link not valid' }, { status: 400 });
  }
}
