// Flood limits on the anonymous forms that mail or hash (register, its confirmation, forgot
// password): per IP and over all IPs, counted in login_throttle so every process shares them.
import type { Db } from '../../db/client.ts';
import type { Config } from '../../config.ts';
import { tooManyRequests } from '../../lib/errors.ts';
import { bump } from './service.ts';

export type LimitedForm = 'register' | 'register-confirm' | 'forgot';

/** Counts this attempt, then refuses it (429) when over a limit. The count is one atomic upsert
 * per key, so concurrent requests on several processes cannot all slip under it. An IP already
 * over its own limit is not counted globally: one address alone cannot lock everyone out. */
export async function assertFormAllowed(db: Db, config: Config, form: LimitedForm, ip: string | undefined): Promise<void> {
  const { perIp, global, windowSeconds } = config.formLimits;
  const minutes = Math.ceil(windowSeconds / 60);
  if (await bump(db, `form:${form}:ip:${ip ?? 'unknown'}`, windowSeconds) > perIp) {
    throw tooManyRequests(`Too many attempts from your network. Wait ${minutes} minutes and try again.`);
  }
  if (await bump(db, `form:${form}:all`, windowSeconds) > global) {
    throw tooManyRequests(`This form is receiving too many requests right now. Try again in ${minutes} minutes.`);
  }
}
