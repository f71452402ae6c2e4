/** A signed-in dashboard session over real HTTP: the cookie, the CSRF token, and a fetch that sends both. */
import { expect } from 'vitest';

export type DashboardClient = {
  cookie: string;
  csrf: string;
  /** fetch relative to the server with the session cookie and a same-origin Origin; `form` posts urlencoded with the CSRF field. */
  get(pathname: string): Promise<Response>;
  postForm(pathname: string, form: Record<string, string>, options?: { csrf?: string | null }): Promise<Response>;
  postJson(pathname: string, body: unknown, options?: { csrf?: string | null }): Promise<Response>;
};

export async function signIn(baseUrl: string, key: string): Promise<DashboardClient> {
  const origin = new URL(baseUrl).origin;
  const res = await fetch(`${baseUrl}/dashboard/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
    body: new URLSearchParams({ key }).toString(),
  });
  expect(res.status, await res.clone().text()).toBe(303);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0] ?? '';
  expect(cookie).toMatch(/^reelay_session=/);
  const page = await fetch(`${baseUrl}/dashboard/tasks`, { headers: { cookie } });
  const html = await page.text();
  const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(html)?.[1] ?? '';
  expect(csrf).not.toBe('');
  return {
    cookie,
    csrf,
    get: (pathname) => fetch(`${baseUrl}${pathname}`, { headers: { cookie }, redirect: 'manual' }),
    postForm: (pathname, form, options = {}) => {
      const token = options.csrf === undefined ? csrf : options.csrf;
      const body = new URLSearchParams({ ...form, ...(token === null ? {} : { _csrf: token }) });
      return fetch(`${baseUrl}${pathname}`, { method: 'POST', redirect: 'manual', headers: { cookie, origin, 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() });
    },
    postJson: (pathname, body, options = {}) => {
      const token = options.csrf === undefined ? csrf : options.csrf;
      return fetch(`${baseUrl}${pathname}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, origin, 'content-type': 'application/json', ...(token === null ? {} : { 'x-csrf-token': token }) },
        body: JSON.stringify(body),
      });
    },
  };
}
