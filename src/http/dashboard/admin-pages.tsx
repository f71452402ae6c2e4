/**
 * Admin pages (master key only): keys, channels, usage, deliveries. For any other session they
 * do not exist (404), as the navigation does not show them. Every change goes through the same
 * functions as the JSON admin API (../admin-actions.ts), so a form can do nothing the API would
 * refuse, and is refused in the same words.
 */
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { parseUsageWindow, type UsageWindow } from '../../billing/usage-window.ts';
import { AppError } from '../../domain/errors.ts';
import { DELIVERY_STATUSES } from '../../store/deliveries.ts';
import { createKeyFromBody, replayDelivery, revokeKey, updateKeyFromBody } from '../admin-actions.ts';
import { formValues, keyBodyFromForm, type KeyFormValues } from './admin-key-form.ts';
import { ChannelsPage } from './admin-channels-page.tsx';
import { DeliveriesPage } from './admin-deliveries-page.tsx';
import { KeysPage, type KeysPageProps } from './admin-keys-page.tsx';
import { daysOf, UsagePage } from './admin-usage-page.tsx';
import type { DashboardApp, DashboardDeps, DashboardEnv } from './dashboard-env.ts';
import { DASHBOARD } from './layout.tsx';

/** Rows on the deliveries page. */
const DELIVERY_LIMIT = 100;
/** The usage chart draws one bar per day; beyond a year they are too thin to read. */
const MAX_CHART_DAYS = 366;

const ADMIN = `${DASHBOARD}/admin`;

/** Only dashboard paths are followed after a replay: `back` must not send anyone elsewhere. */
function safeBack(back: unknown): string {
  return typeof back === 'string' && /^\/dashboard(\/[A-Za-z0-9._~\-/?=&%]*)?$/.test(back) && !back.startsWith('//') ? back : `${ADMIN}/deliveries`;
}

/** A form rejected by the shared check: shown on the page (400), never an error page. */
function rejected(e: unknown): string | null {
  return e instanceof AppError && e.code === 'invalid_parameter' ? e.message : null;
}

export function registerAdminPages(app: DashboardApp, deps: DashboardDeps): void {
  const masterOnly = createMiddleware<DashboardEnv>(async (c, next) => {
    if (!c.get('session').isMaster) throw new AppError('route_not_found', 'There is no such page.');
    await next();
  });
  app.use('/admin', masterOnly);
  app.use('/admin/*', masterOnly);

  const keysPage = async (c: Context<DashboardEnv>, extra: Omit<KeysPageProps, 'session' | 'keys' | 'models'>, status: 200 | 400 = 200) => {
    const keys = await deps.keys.list();
    // The secrets of a new key must not stay in a cache or be shown again by Back.
    if (extra.created) c.header('cache-control', 'no-store');
    return c.html(<KeysPage session={c.get('session')} keys={keys} models={deps.models} {...extra} />, status);
  };

  app.get('/admin', (c) => c.redirect(`${ADMIN}/keys`, 303));

  app.get('/admin/keys', (c) => keysPage(c, { notice: c.req.query('done') === 'revoked' ? 'The key is revoked.' : c.req.query('done') === 'saved' ? 'The limits are saved.' : undefined }));

  app.post('/admin/keys', async (c) => {
    const values: KeyFormValues = formValues(await c.req.parseBody());
    try {
      const created = await createKeyFromBody(deps, keyBodyFromForm(values, 'create'));
      return await keysPage(c, { created });
    } catch (e) {
      const message = rejected(e);
      if (message === null) throw e;
      return keysPage(c, { error: { message }, createValues: values }, 400);
    }
  });

  app.post('/admin/keys/:id', async (c) => {
    const id = c.req.param('id');
    try {
      await updateKeyFromBody(deps, id, keyBodyFromForm(formValues(await c.req.parseBody()), 'update'));
    } catch (e) {
      const message = rejected(e);
      if (message === null) throw e;
      return keysPage(c, { error: { message, keyId: id } }, 400);
    }
    return c.redirect(`${ADMIN}/keys?done=saved#key-${encodeURIComponent(id)}`, 303);
  });

  app.post('/admin/keys/:id/revoke', async (c) => {
    await revokeKey(deps.keys, c.req.param('id'));
    return c.redirect(`${ADMIN}/keys?done=revoked`, 303);
  });

  app.get('/admin/channels', async (c) => c.html(<ChannelsPage session={c.get('session')} channels={await deps.channels()} models={deps.models} now={deps.now()} />));

  app.get('/admin/usage', async (c) => {
    const form = { from: c.req.query('from') ?? '', to: c.req.query('to') ?? '', key: c.req.query('key') ?? '' };
    let window: UsageWindow;
    let error: string | undefined;
    try {
      window = parseUsageWindow({ from: form.from || undefined, to: form.to || undefined }, deps.now());
      if (daysOf(window).length > MAX_CHART_DAYS) throw new AppError('invalid_parameter', `the range spans more than ${MAX_CHART_DAYS} days; the dashboard charts at most that (the JSON API GET /admin/usage has no such limit)`, { field: 'from' });
    } catch (e) {
      error = rejected(e) ?? undefined;
      if (error === undefined) throw e;
      window = parseUsageWindow({}, deps.now());
    }
    const [report, keys] = await Promise.all([deps.usage({ ...window, ...(form.key === '' ? {} : { keyId: form.key }) }), deps.keys.list()]);
    return c.html(<UsagePage session={c.get('session')} window={window} form={form} keys={keys} report={report} error={error} />, error ? 400 : 200);
  });

  app.get('/admin/deliveries', async (c) => {
    const status = DELIVERY_STATUSES.find((s) => s === c.req.query('status'));
    const deliveries = await deps.deliveries.listRecent({ status, limit: DELIVERY_LIMIT });
    return c.html(<DeliveriesPage session={c.get('session')} deliveries={deliveries} status={status} limit={DELIVERY_LIMIT} />);
  });

  app.post('/admin/deliveries/:id/replay', async (c) => {
    await replayDelivery(deps, c.req.param('id'));
    return c.redirect(safeBack((await c.req.parseBody()).back), 303);
  });
}
