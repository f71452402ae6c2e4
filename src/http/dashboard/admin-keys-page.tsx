/**
 * The keys page: every key with its limits and money, a create form, and per key an edit form
 * and a revoke button. A new key's secrets are rendered once, in the answer to the create; the
 * store keeps only hashes and ciphertext, so no later page could show them.
 */
import type { CreatedKey, KeyInfo } from '../../store/api-keys.ts';
import type { DashboardSession } from './dashboard-session.ts';
import type { KeyFormValues } from './admin-key-form.ts';
import { CsrfField, DASHBOARD, Layout } from './layout.tsx';
import { credits, Time } from './task-views.tsx';

export type KeysPageProps = {
  session: DashboardSession;
  keys: KeyInfo[];
  models: readonly string[];
  created?: CreatedKey | undefined;
  /** A rejected form: the message names the field; `keyId` is set for an edit form. */
  error?: { message: string; keyId?: string | undefined } | undefined;
  notice?: string | undefined;
  /** What the rejected create form held, so nothing is typed twice. */
  createValues?: KeyFormValues | undefined;
};

const dash = <span class="muted">—</span>;

/** The limit fields as form values, the way the edit form shows them. */
function valuesOf(k: KeyInfo): KeyFormValues {
  const l = k.limits;
  return {
    budget_credits: l.budgetMicros === null ? '' : credits(l.budgetMicros).replace(/,/g, ''),
    rpm: l.rpm === null ? '' : String(l.rpm),
    max_concurrency: l.maxConcurrency === null ? '' : String(l.maxConcurrency),
    models: (l.models ?? []).join(', '),
    expires_at: l.expiresAt === null ? '' : new Date(l.expiresAt).toISOString().slice(0, 19),
    webhook_url: k.webhook_url ?? '',
  };
}

function LimitFields(props: { values: KeyFormValues; models: readonly string[] }) {
  const v = props.values;
  return (
    <div class="fields">
      <label>
        Budget (credits)
        <input name="budget_credits" inputmode="decimal" value={v.budget_credits ?? ''} placeholder="unlimited" />
      </label>
      <label>
        Requests per minute
        <input name="rpm" inputmode="numeric" value={v.rpm ?? ''} placeholder="unlimited" />
      </label>
      <label>
        Max concurrency
        <input name="max_concurrency" inputmode="numeric" value={v.max_concurrency ?? ''} placeholder="unlimited" />
      </label>
      <label>
        Models
        <input name="models" value={v.models ?? ''} placeholder={`all (${props.models.join(', ')})`} />
      </label>
      <label>
        Expires (UTC)
        <input name="expires_at" type="datetime-local" step="1" value={v.expires_at ?? ''} />
      </label>
      <label>
        Webhook URL
        <input name="webhook_url" type="url" value={v.webhook_url ?? ''} placeholder="none" />
      </label>
    </div>
  );
}

function NewKeySecrets(props: { created: CreatedKey }) {
  const k = props.created;
  return (
    <section class="card admin-secrets" id="new-key">
      <h2>{`Key “${k.name}” created`}</h2>
      <p class="error" role="alert">
        Copy these now: they are shown only this once. Reelay keeps only a hash of the key and cannot show them again.
      </p>
      <dl class="facts">
        <dt>API key</dt>
        <dd class="mono" data-secret="key">{k.key}</dd>
        <dt>Access key</dt>
        <dd class="mono" data-secret="access_key">{k.access_key}</dd>
        <dt>Secret key</dt>
        <dd class="mono" data-secret="secret_key">{k.secret_key}</dd>
        <dt>Webhook secret</dt>
        <dd class="mono" data-secret="webhook_secret">{k.webhook_secret}</dd>
      </dl>
    </section>
  );
}

function Limits(props: { k: KeyInfo }) {
  const l = props.k.limits;
  return (
    <dl class="facts small">
      <dt>budget</dt>
      <dd>{l.budgetMicros === null ? 'unlimited' : `${credits(l.budgetMicros)} credits`}</dd>
      <dt>rpm</dt>
      <dd>{l.rpm === null ? 'unlimited' : String(l.rpm)}</dd>
      <dt>concurrency</dt>
      <dd>{l.maxConcurrency === null ? 'unlimited' : String(l.maxConcurrency)}</dd>
      <dt>models</dt>
      <dd>{l.models === null ? 'all' : l.models.join(', ')}</dd>
      <dt>expires</dt>
      <dd>{l.expiresAt === null ? 'never' : <Time ms={l.expiresAt} />}</dd>
    </dl>
  );
}

function KeyRows(props: { k: KeyInfo; session: DashboardSession; models: readonly string[]; error?: string | undefined }) {
  const { k, session } = props;
  const revoked = k.revoked_at !== null;
  const budget = k.limits.budgetMicros;
  const action = `${DASHBOARD}/admin/keys/${encodeURIComponent(k.id)}`;
  return (
    <>
      <tr id={`key-${k.id}`} class={revoked ? 'revoked' : undefined}>
        <td>
          <strong>{k.name}</strong>
          <div class="mono small">{k.id}</div>
          <div class="mono small muted">{`${k.key_prefix}… · ${k.access_key}`}</div>
        </td>
        <td class="small">
          <Time ms={k.created_at} />
          {revoked ? (
            <div>
              <span class="badge status-failed">revoked</span> <Time ms={k.revoked_at} />
            </div>
          ) : null}
        </td>
        <td class="mono small admin-url">{k.webhook_url ?? dash}</td>
        <td>
          <Limits k={k} />
        </td>
        <td class="num small">
          <div title="held by tasks in flight">{`${credits(k.heldMicros)} held`}</div>
          <div>{`${credits(k.spentMicros)} spent`}</div>
          {budget !== null ? <div class="muted">{`${credits(Math.max(0, budget - k.spentMicros - k.heldMicros))} left`}</div> : null}
        </td>
        <td class="num">{String(k.activeTasks)}</td>
      </tr>
      {revoked ? null : (
        <tr class="admin-edit">
          <td colspan={6}>
            <details open={props.error !== undefined}>
              <summary>{`Edit limits of ${k.name}`}</summary>
              {props.error ? (
                <p class="error" role="alert">
                  {props.error}
                </p>
              ) : null}
              <form method="post" action={action}>
                <CsrfField session={session} />
                <LimitFields values={valuesOf(k)} models={props.models} />
                <p class="muted small">An empty field means no limit.</p>
                <button type="submit">Save limits</button>
              </form>
              <form method="post" action={`${action}/revoke`} class="admin-revoke">
                <CsrfField session={session} />
                <button type="submit" class="danger small">
                  Revoke this key
                </button>{' '}
                <span class="muted small">Its requests fail at once; its tasks in flight finish.</span>
              </form>
            </details>
          </td>
        </tr>
      )}
    </>
  );
}

export function KeysPage(props: KeysPageProps) {
  const { session } = props;
  const createError = props.error && props.error.keyId === undefined ? props.error.message : undefined;
  const cv = props.createValues ?? {};
  return (
    <Layout title="Keys" session={session} active="keys">
      <h1>Keys</h1>
      {props.notice ? <p class="notice">{props.notice}</p> : null}
      {props.created ? <NewKeySecrets created={props.created} /> : null}
      <section class="card">
        <details open={createError !== undefined || props.keys.length === 0}>
          <summary>
            <strong>Create a key</strong>
          </summary>
          {createError ? (
            <p class="error" role="alert">
              {createError}
            </p>
          ) : null}
          <form method="post" action={`${DASHBOARD}/admin/keys`}>
            <CsrfField session={session} />
            <label>
              Name
              <input name="name" required maxlength={200} value={cv.name ?? ''} placeholder="who or what uses it" />
            </label>
            <LimitFields values={cv} models={props.models} />
            <p class="muted small">Leave a field empty for no limit. The secrets are shown once, on the next page.</p>
            <button type="submit">Create key</button>
          </form>
        </details>
      </section>
      {props.keys.length === 0 ? (
        <p class="empty">No keys yet: only the master key exists.</p>
      ) : (
        <table class="admin-keys">
          <thead>
            <tr>
              <th>Key</th>
              <th>Created</th>
              <th>Webhook URL</th>
              <th>Limits</th>
              <th class="num">Credits</th>
              <th class="num">Active tasks</th>
            </tr>
          </thead>
          <tbody>
            {props.keys.map((k) => (
              <KeyRows k={k} session={session} models={props.models} error={props.error?.keyId === k.id ? props.error.message : undefined} />
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}
