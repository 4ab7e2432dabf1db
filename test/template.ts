import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEMPLATE_DB = 'oi_test_template';
export const TEMPLATE_FILE = path.join(fileURLToPath(new URL('..', import.meta.url)), '.tap', 'pglite-template.tar');

/** The same server URL with another database name. */
export function serverUrl(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
