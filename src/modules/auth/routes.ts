// Sign in and out, self-registration, forgotten and changed passwords (the pages under
// views/auth). Every success redirects (303) with a flash; every refusal re-renders its form.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseForm, type FieldErrors } from '../../lib/form.ts';
import { verifyPassword } from '../../lib/password.ts';
import { HttpError } from '../../lib/errors.ts';
import { recordAudit } from '../../lib/audit.ts';
import { requireSignedIn, safeNext } from '../../plugins/guards.ts';
import { LoginForm, ForgotForm, ResetForm, ChangePasswordForm } from './schema.ts';
import { authenticate, BAD_CREDENTIALS, RESET_SENT, requestPasswordReset, findValidReset, resetPassword } from './service.ts';
import { findUserByEmail } from './repository.ts';
import { setPassword } from '../users/service.ts';
import { homeFor, signIn, confirmProblem } from './shared.ts';
import registrationRoutes from './register-routes.ts';
import { assertFormAllowed } from './limits.ts';
import { sessionCookieName } from '../../plugins/session.ts';
import { rotateCsrfSecret } from '../../plugins/security.ts';

type Body = { Body: Record<string, unknown> };
type Query = { Querystring: Record<string, string | undefined> };

export { homeFor };

export default async function authRoutes(app: FastifyInstance) {
  app.get('/login', async function loginPage(req: FastifyRequest<Query>, reply) {
    if (req.user) return reply.redirect(homeFor(req.user.role));
    return reply.page('auth/login', { title: 'Sign in', values: { next: req.query.next }, errors: {} });
  });

  app.post('/login', async function login(req: FastifyRequest<Body>, reply) {
    const form = parseForm(LoginForm, req.body);
    if (!form.ok) return reply.page('auth/login', { title: 'Sign in', values: form.values, errors: form.errors }, { status: 422 });
    const { email, password, next } = form.value;
    let result;
    try {
      result = await authenticate(app.db, app.config, email, password, req.actor());
    } catch (err) {
      if (err instanceof HttpError && err.statusCode === 429) {
        return reply.page('auth/login', { title: 'Sign in', values: { email, next }, errors: {}, message: err.message }, { status: 429 });
      }
      throw err;
    }
    if (!result.ok) {
      return reply.page('auth/login', { title: 'Sign in', values: { email, next }, errors: {}, message: BAD_CREDENTIALS }, { status: 401 });
    }
    await signIn(req, reply, result.user.userId);
    return reply.seeOther(safeNext(next, homeFor(result.user.role)));
  });

  app.post('/logout', async function logout(req, reply) {
    if (req.user) await recordAudit(app.db, req.actor(), { action: 'logout', entity: 'user', entityId: req.user.id });
    await req.session.destroy();
    // The browser forgets the id and what the pages left behind (htmx history snapshots).
    reply.clearCookie(sessionCookieName(app.config), { path: '/' });
    rotateCsrfSecret(reply, app.config);
    reply.header('clear-site-data', '"cache", "storage"');
    return reply.code(303).redirect('/');
  });

  await app.register(registrationRoutes);

  app.get('/forgot-password', async function forgotPage(_req, reply) {
    return reply.page('auth/forgot', { title: 'Forgot password', values: {}, errors: {} });
  });

  app.post('/forgot-password', async function forgot(req: FastifyRequest<Body>, reply) {
    const form = parseForm(ForgotForm, req.body);
    if (!form.ok) return reply.page('auth/forgot', { title: 'Forgot password', values: form.values, errors: form.errors }, { status: 422 });
    try {
      await assertFormAllowed(app.db, app.config, 'forgot', req.ip);
    } catch (err) {
      if (err instanceof HttpError && err.statusCode === 429) {
        return reply.page('auth/forgot', { title: 'Forgot password', values: form.value, errors: {}, message: err.message }, { status: 429 });
      }
      throw err;
    }
    // All of it after the answer, for every address: neither the lookup nor the mail may make
    // a real account's answer slower than an unknown one's.
    const { email } = form.value;
    const actor = req.actor();
    app.afterAnswer(reply, () => requestPasswordReset(app.db, app.config, app.mailer, email, actor));
    reply.flash('info', RESET_SENT);
    return reply.code(303).redirect('/login');
  });

  app.get('/reset-password', async function resetPage(req: FastifyRequest<Query>, reply) {
    const token = req.query.token ?? '';
    const valid = token.length >= 10 && token.length <= 200 && await findValidReset(app.db, token);
    if (!valid) return invalidLink(reply);
    return reply.page('auth/reset', { title: 'Choose a new password', values: { token }, errors: {} });
  });

  app.post('/reset-password', async function reset(req: FastifyRequest<Body>, reply) {
    const form = parseForm(ResetForm, req.body);
    if (!form.ok && form.errors.token) return invalidLink(reply);
    // The account's own rule (staff and admins need a stronger password) and its email.
    const account = form.ok ? await findValidReset(app.db, form.value.token) : null;
    if (form.ok && !account) return invalidLink(reply);
    const errors: FieldErrors = form.ok ? confirmProblem(form.value.password, form.value.confirm, account!.email, account!.role) : form.errors;
    if (!form.ok || Object.keys(errors).length) {
      return reply.page('auth/reset', { title: 'Choose a new password', values: { token: (form.ok ? form.value : form.values).token }, errors }, { status: 422 });
    }
    let done;
    try {
      done = await resetPassword(app.db, app.config, form.value.token, form.value.password, req.actor());
    } catch (err) {
      if (err instanceof HttpError && err.statusCode === 429) {
        return reply.page('auth/reset', { title: 'Choose a new password', values: { token: form.value.token }, errors: {}, message: err.message }, { status: 429 });
      }
      throw err;
    }
    if (!done) return invalidLink(reply);
    reply.flash('success', 'Your password has been changed. Sign in with the new one.');
    return reply.code(303).redirect('/login');
  });

  function invalidLink(reply: FastifyReply) {
    return reply.page('auth/reset-invalid', { title: 'Link not valid' }, { status: 400 });
  }

  app.register(async function signedIn(scope) {
    scope.addHook('preHandler', requireSignedIn);

    scope.get('/account/password', async function changePasswordPage(_req, reply) {
      return reply.page('auth/change-password', { title: 'Change password', errors: {} });
    });

    scope.post('/account/password', async function changePassword(req: FastifyRequest<Body>, reply) {
      const user = req.user!;
      const form = parseForm(ChangePasswordForm, req.body);
      const errors: FieldErrors = form.ok ? confirmProblem(form.value.password, form.value.confirm, user.email, user.role) : form.errors;
      if (form.ok && !Object.keys(errors).length) {
        const account = await findUserByEmail(app.db, user.email);
        if (!account || !await verifyPassword(account.passwordHash, form.value.current)) errors.current = 'This is not your current password.';
      }
      if (!form.ok || Object.keys(errors).length) {
        return reply.page('auth/change-password', { title: 'Change password', errors }, { status: 422 });
      }
      await setPassword(app.db, user.id, form.value.password, req.actor(), app.config.argon2);
      // Other sessions ended with the change; this one carries on under a new id.
      await signIn(req, reply, user.id);
      return reply.seeOther(homeFor(user.role), 'Your password has been changed.');
    });
  });
}
