import { createRequire } from 'node:module';
import argon2 from 'argon2';
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import type { Argon2Cost } from '../config.ts';
import type { Role } from '../db/schema/index.ts';

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 200;

export function hashPassword(password: string, cost: Argon2Cost): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id, ...cost });
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;
/** Spend the same time on an unknown email as on a wrong password, so timing tells nothing. */
export async function burnPasswordCheck(password: string, cost: Argon2Cost): Promise<void> {
  dummyHash ??= hashPassword('not-a-real-password-0000', cost);
  await verifyPassword(await dummyHash, password);
}

// The strength check (zxcvbn-ts with its common-password and diceware dictionaries) takes about
// a quarter of a second to load and build, so it is loaded on the first password set rather than
// at start (warmPasswordCheck starts it early in the server); require() keeps the check sync.
let strength: { factory: ZxcvbnFactory; common: Set<string> } | undefined;
function strengthCheck() {
  if (!strength) {
    const require = createRequire(import.meta.url);
    const { ZxcvbnFactory: Factory } = require('@zxcvbn-ts/core') as typeof import('@zxcvbn-ts/core');
    const { dictionary, adjacencyGraphs } = require('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common');
    strength = {
      factory: new Factory({ dictionary, graphs: adjacencyGraphs }),
      common: new Set(dictionary['passwords-common'].map((p) => p.toLowerCase())),
    };
  }
  return strength;
}

export function warmPasswordCheck(): void {
  strengthCheck();
}

/** The zxcvbn score (0-4) a new password needs. Customers: 2, "safe from throttled online
 * guessing" (sign-in allows 5 guesses per account per window). Staff and admins see every store's
 * customers and orders: 3, safe from an offline attack on a leaked hash too. */
export const minimumScore = (role?: Role): number => (role === 'staff' || role === 'admin' ? 3 : 2);

const TOO_COMMON = 'This password is one of the most common ones: choose another.';
const TOO_EASY = 'This password is too easy to guess. Use a few unrelated words, or a longer mix of letters, digits and signs.';

/** A message when the password is not acceptable, otherwise undefined. `role` is the account's
 * (stricter rules for staff and admins); without it, the customer's rule applies. */
export function passwordProblem(password: string, email?: string, role?: Role): string | undefined {
  if (password.length < PASSWORD_MIN) return `Use at least ${PASSWORD_MIN} characters.`;
  if (password.length > PASSWORD_MAX) return `Use at most ${PASSWORD_MAX} characters.`;
  if (email && password.toLowerCase() === email.toLowerCase()) return 'The password must not be your email address.';
  if (/^(.)\1+$/.test(password)) return 'Choose a password that is not one repeated character.';
  const { factory, common } = strengthCheck();
  if (common.has(password.toLowerCase())) return TOO_COMMON;
  // Only the first 40 characters are scored: zxcvbn's matching time grows quickly with length (a
  // 100-character pattern took up to 1 s on a loaded 2-core machine), and 40 that score well are
  // plenty.
  const inputs = email ? [email, email.split('@')[0]!] : [];
  if (factory.check(password.slice(0, 40), inputs).score < minimumScore(role)) return TOO_EASY;
  return undefined;
}
