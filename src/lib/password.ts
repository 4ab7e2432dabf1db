import argon2 from 'argon2';
import type { Argon2Cost } from '../config.ts';

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

/** A message when the password is not acceptable, otherwise undefined. */
export function passwordProblem(password: string, email?: string): string | undefined {
  if (password.length < PASSWORD_MIN) return `Use at least ${PASSWORD_MIN} characters.`;
  if (password.length > PASSWORD_MAX) return `Use at most ${PASSWORD_MAX} characters.`;
  if (email && password.toLowerCase() === email.toLowerCase()) return 'The password must not be your email address.';
  if (/^(.)\1+$/.test(password)) return 'Choose a password that is not one repeated character.';
  return undefined;
}
