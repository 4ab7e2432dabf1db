import { createHash, randomBytes } from 'node:crypto';

/** A random secret for links and bearer tokens: 256 bits, URL-safe. */
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

/** Tokens are stored as SHA-256: they are random, so a fast hash is enough and lets us look
 * them up by index. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** A readable random password for generated accounts (printed once, never stored in clear). */
export function generatePassword(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(18);
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    out += alphabet[bytes[i]! % alphabet.length];
    if (i % 6 === 5 && i < bytes.length - 1) out += '-';
  }
  return out;
}
