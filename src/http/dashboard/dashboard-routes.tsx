/**
 * `/dashboard`: server-rendered pages for people (sign in with an API key; the master key also
 * sees the admin pages). Every page but the sign-in needs a session (dashboard-session.ts); every
 * POST needs the session's CSRF token (a form's `_csrf` field or the `x-csrf-token` header of the
 * dashboard's own fetches) and a same-origin `Origin`. Pages answer HTML errors, `/dashboard/api/*`
 * JSON ones.
 */
import { Hono, type Context } from 'hono';
import { csrf } from 'hono/csrf';
import { createMiddleware } from 'hono/factory';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import { AppError } from '../../domain/errors.ts';
import { limitBody } from '../read-json.ts';
import { loadDashboardAssets } from './dashboard-assets.ts';
import type { DashboardDeps, DashboardEnv } from './dashboard-env.ts';
import { CSRF_FIELD, CSRF_HEADER } from './dashboard-session.ts';
import { registerAdminPages } from './admin-pages.tsx';
import { registerPlayground } from './playground-routes.tsx';
import { registerTaskPages } from './task-routes.tsx';
import { DASHBOARD, Layout } from './layout.tsx';

function LoginPage(props: { error?: string | undefined; next: string }) {
  return (
    <Layout title="Sign in" session={null}>
      <section class="card narrow">
        <h1>Sign in</h1>
        <p class="muted">With an API key (its tasks and the playground) or the master key (everything, and the admin pages).</p>
        {props.error ? <p class="error" role="alert">{props.error}</p> : null}
        <form method="post" action={`${DASHBOARD}/login`}>
          <input type="hidden" name="next" value={props.next} />
          <label>
            Key
            <input type="password" name="key" autocomplete="current-password" required autofocus placeholder="rl_… or rlm_…" />
          </label>
          <button type="submit">Sign in</button>
        </form>
      </section>
    </Layout>
  );
}

export function ErrorPage(props: { status: number; message: string }) {
  return (
    <Layout title={`Error ${props.status}`} session={null}>
      <section class="card narrow">
        <h1>{props.status === 404 ? 'Not found' : 'Something went wrong'}</h1>
        <p>{props.message}</p>
        <p>
          <a href={`${DASHBOARD}/tasks`}>Back to the tasks</a>
        </p>
      </section>
    </Layout>
  );
}

/** Only dashboard paths are followed after sign-in: `next` must not send anyone elsewhere. */
function safeNext(next: unknown): string {
  const fallback = `${DASHBOARD}/tasks`;
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return fallback;
  // Resolved against a placeholder origin: `..` segments are folded before the path is judged.
  const url = new URL(next, 'http://dashboard.invalid');
  if (url.origin !== 'http://dashboard.invalid' || !(url.pathname === DASHBOARD || url.pathname.startsWith(`${DASHBOARD}/`))) return fallback;
  return `${url.pathname}${url.search}`;
}

/** The largest dashboard form read for its CSRF field (key limits, a replay, a cancel). */
const FORM_BYTES = 64 * 1024;

const isApi = (c: Context) => c.req.path.startsWith(`${DASHBOARD}/api/`);

export function createDashboardRoutes(deps: DashboardDeps): Hono<DashboardEnv> {
  const app = new Hono<DashboardEnv>();
  const assets = loadDashboardAssets();

  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        // Media links may answer 302 to a presigned S3 URL on another host.
        mediaSrc: ["'self'", 'https:', 'http:', 'blob:'],
        imgSrc: ["'self'", 'data:'],
        styleSrc: ["'self'"],
        scriptSrc: ["'self'"],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
      },
      referrerPolicy: 'same-origin',
    }),
  );
  // Same-origin POSTs only (the Origin header): the origin the request was addressed to, or the
  // public URL's (nginx's `Host $host` drops a non-default port). The CSRF token is the second lock.
  app.use('*', csrf({ origin: (origin, c) => origin === new URL(c.req.url).origin || origin === new URL(deps.publicUrl()).origin }));

  app.get('/assets/:name', (c) => {
    const asset = assets.get(c.req.param('name'));
    if (!asset) return c.text('not found', 404);
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304);
    return c.body(new Uint8Array(asset.body), 200, { 'content-type': asset.type, etag: asset.etag, 'cache-control': 'no-cache' });
  });

  app.get('/login', async (c) => {
    if (await deps.sessions.read(c)) return c.redirect(safeNext(c.req.query('next')), 303);
    return c.html(<LoginPage next={safeNext(c.req.query('next'))} />);
  });

  app.post('/login', limitBody(), async (c) => {
    const form = await c.req.parseBody();
    const next = safeNext(form.next);
    const key = typeof form.key === 'string' ? form.key.trim() : '';
    let keyId: string;
    try {
      keyId = (await deps.authenticate(`Bearer ${key}`)).keyId;
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      return c.html(<LoginPage next={next} error={key === '' ? 'Enter a key.' : 'That key is unknown, revoked or expired.'} />, 401);
    }
    const session = await deps.sessions.start(c, keyId);
    if (!session) return c.html(<LoginPage next={next} error="That key is unknown, revoked or expired." />, 401);
    return c.redirect(next, 303);
  });

  app.get('/', (c) => c.redirect(`${DASHBOARD}/tasks`, 303));

  // Everything below needs a session, and a POST its CSRF token.
  app.use(
    '*',
    createMiddleware<DashboardEnv>(async (c, next) => {
      const session = await deps.sessions.read(c);
      if (!session) {
        if (isApi(c) || c.req.method !== 'GET') return c.json({ error: { code: 'auth_missing', message: 'sign in again: the session is missing or expired' } }, 401);
        return c.redirect(`${DASHBOARD}/login?next=${encodeURIComponent(c.req.path)}`, 303);
      }
      if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
        let token = c.req.header(CSRF_HEADER);
        if (token === undefined && /^(application\/x-www-form-urlencoded|multipart\/form-data)/.test(c.req.header('content-type') ?? '')) {
          // The dashboard's forms are small: a big one is not read before its token is known.
          if (!(Number(c.req.header('content-length') ?? Infinity) <= FORM_BYTES)) {
            // The body is not read: the connection cannot carry another request.
            c.header('connection', 'close');
            return c.json({ error: { code: 'body_too_large', message: `a dashboard form is at most ${FORM_BYTES} bytes, with a content-length` } }, 413);
          }
          const field = (await c.req.parseBody())[CSRF_FIELD];
          token = typeof field === 'string' ? field : undefined;
        }
        if (!deps.sessions.checkCsrf(session, token)) {
          return isApi(c)
            ? c.json({ error: { code: 'csrf_failed', message: 'the CSRF token is missing or wrong: reload the page' } }, 403)
            : c.html(<ErrorPage status={403} message="The form was stale or not sent by this dashboard. Reload the page and try again." />, 403);
        }
      }
      c.set('session', session);
      await next();
    }),
  );
  // Every form, whichever way its CSRF token came (a header skips the check above): a body of
  // unknown length is counted as it is read. The JSON API under /api has its own limits.
  const formLimit = limitBody(FORM_BYTES);
  app.use('*', async (c, next) => {
    if (isApi(c) || c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    return formLimit(c, next);
  });

  app.post('/logout', (c) => {
    deps.sessions.end(c);
    return c.redirect(`${DASHBOARD}/login`, 303);
  });

  registerTaskPages(app, deps);
  registerPlayground(app, deps);
  registerAdminPages(app, deps);

  // A mounted app's notFound is not consulted by hono: the last route catches the rest.
  app.all('*', (c) => (isApi(c) ? c.json({ error: { code: 'not_found', message: `${c.req.method} ${c.req.path} is not a dashboard route` } }, 404) : c.html(<ErrorPage status={404} message="There is no such page." />, 404)));
  app.onError((e, c) => {
    // hono's own refusals (the csrf() Origin check: 403).
    if (e instanceof HTTPException) return e.getResponse();
    if (e instanceof AppError) {
      if (e.code === 'body_too_large') {
        // The rest of the body is not read: the connection cannot carry another request.
        c.header('connection', 'close');
        if (!isApi(c)) return c.html(<ErrorPage status={413} message={e.message} />, 413);
      }
      if (isApi(c)) return c.json({ error: { code: e.code, message: e.message, ...(e.field ? { field: e.field } : {}) } }, e.status as 400);
      return c.html(<ErrorPage status={e.status} message={e.message} />, e.status as 400);
    }
    deps.log.error({ err: e, requestId: c.get('requestId') }, 'dashboard error');
    return isApi(c) ? c.json({ error: { code: 'internal_error', message: 'internal error' } }, 500) : c.html(<ErrorPage status={500} message="Internal error; it is in the server log." />, 500);
  });
  return app;
}
