// The one check of an email address: the `email` format that the HTTP schemas validate with
// (ajv-formats, full mode: ASCII letters, digits and the usual punctuation). Whatever creates an
// account and whatever looks one up by email use it, so no spelling can reach an account that
// its owner could not have typed at registration (PostgreSQL and JavaScript lower-case `İ`
// differently, for one).
import { fullFormats } from 'ajv-formats/dist/formats.js';

export const EMAIL_RE = fullFormats.email as RegExp;
export const EMAIL_MAX = 254;

export const isEmailAddress = (value: string): boolean => value.length <= EMAIL_MAX && EMAIL_RE.test(value);
