// Outgoing mail through nodemailer: SMTP when SMTP_URL is set, otherwise every message is
// written as an .eml file under MAIL_DIR so development and tests can read it.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { randomToken } from './tokens.ts';

export interface MailMessage { to: string; subject: string; text: string; html?: string }
export interface Mailer { send(message: MailMessage): Promise<void> }

export function createMailer(opts: { smtpUrl?: string; mailDir: string; from: string }): Mailer {
  if (opts.smtpUrl) {
    const transport = nodemailer.createTransport(opts.smtpUrl);
    return { async send(m) { await transport.sendMail({ from: opts.from, ...m }); } };
  }
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(m) {
      const info = await transport.sendMail({ from: opts.from, ...m });
      await mkdir(opts.mailDir, { recursive: true });
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomToken(6)}.eml`;
      await writeFile(path.join(opts.mailDir, name), info.message as Buffer);
    },
  };
}
