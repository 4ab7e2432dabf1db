// Signing in the way a browser and an API client do: the login form (session cookie + the hidden
// _csrf field) and POST /api/v1/auth/login (bearer token).

/** name=value pairs of the Set-Cookie headers, merged into a jar. */
function absorbCookies(jar: Map<string, string>, res: Response): void {
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const eq = pair!.indexOf('=');
    if (eq > 0) jar.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
  }
}

const cookieHeader = (jar: Map<string, string>) => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');

function decodeHtml(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Signs in through the form; returns the Cookie header of the signed-in session. */
export async function formLogin(baseUrl: string, email: string, password: string): Promise<string> {
  const jar = new Map<string, string>();
  const page = await fetch(`${baseUrl}/login`, { redirect: 'manual' });
  absorbCookies(jar, page);
  const html = await page.text();
  const m = /name="_csrf" value="([^"]*)"/.exec(html);
  if (page.status !== 200 || !m) throw new Error(`GET /login answered ${page.status} without a _csrf field`);
  const res = await fetch(`${baseUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(jar) },
    body: new URLSearchParams({ _csrf: decodeHtml(m[1]!), email, password, next: '' }).toString(),
  });
  absorbCookies(jar, res);
  await res.arrayBuffer();
  if (res.status !== 303 && res.status !== 302) throw new Error(`POST /login for ${email} answered ${res.status} (expected a redirect)`);
  return cookieHeader(jar);
}

export async function apiLogin(baseUrl: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const body = await res.json() as { token?: string; message?: string };
  if (res.status !== 200 || !body.token) throw new Error(`POST /api/v1/auth/login for ${email} answered ${res.status}: ${body.message ?? ''}`);
  return body.token;
}

/** The href of the page's rel="next" link, if any. */
export function nextLink(html: string): string | undefined {
  const m = /<a href="([^"]+)"[^>]*\brel="next"/.exec(html);
  return m ? decodeHtml(m[1]!) : undefined;
}
