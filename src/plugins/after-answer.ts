// Work that must not delay (or be visible in the timing of) an answer: it starts once the
// response has gone out. Used for the password-reset mail, whose SMTP round trip would otherwise
// tell an unknown email (fast answer) from a real account (slow answer). Pending tasks are kept,
// so closing the app waits for them before the database goes, and tests can wait for them too.
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply } from 'fastify';

declare module 'fastify' {
  interface FastifyInstance {
    /** Runs `task` after `reply` has been sent (or the client went away); errors are logged. */
    afterAnswer(reply: FastifyReply, task: () => Promise<unknown>): void;
    /** Resolves when every task started so far has finished. */
    settle(): Promise<void>;
  }
}

export default fp(async function afterAnswerPlugin(app: FastifyInstance) {
  const pending = new Set<Promise<void>>();
  app.decorate('afterAnswer', function afterAnswer(reply: FastifyReply, task: () => Promise<unknown>) {
    const done: Promise<void> = new Promise<void>((resolve) => {
      let started = false;
      const start = () => {
        if (started) return;
        started = true;
        task().catch((err: unknown) => reply.log.error({ err }, 'work after the answer failed')).finally(resolve);
      };
      if (reply.raw.writableFinished) start();
      else { reply.raw.once('finish', start); reply.raw.once('close', start); }
    }).finally(() => pending.delete(done));
    pending.add(done);
  });
  app.decorate('settle', async function settle() {
    while (pending.size) await Promise.all([...pending]);
  });
  app.addHook('onClose', async () => { await app.settle(); });
}, { name: 'after-answer', dependencies: ['db'] });
