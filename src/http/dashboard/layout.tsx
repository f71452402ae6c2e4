/**
 * The frame of every dashboard page: navigation (admin pages for the master key only), the
 * signed-in key and a sign-out form. Pages are server-rendered with hono/jsx, which escapes
 * every interpolated value; the only scripts are the small files in public/dashboard.
 */
import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import { CSRF_FIELD, type DashboardSession } from './dashboard-session.ts';

export const DASHBOARD = '/dashboard';

type NavItem = { href: string; label: string; id: string; master?: boolean; keyOnly?: boolean };

const NAV: readonly NavItem[] = [
  { href: `${DASHBOARD}/tasks`, label: 'Tasks', id: 'tasks' },
  { href: `${DASHBOARD}/playground`, label: 'Playground', id: 'playground', keyOnly: true },
  { href: `${DASHBOARD}/admin/keys`, label: 'Keys', id: 'keys', master: true },
  { href: `${DASHBOARD}/admin/channels`, label: 'Channels', id: 'channels', master: true },
  { href: `${DASHBOARD}/admin/usage`, label: 'Usage', id: 'usage', master: true },
  { href: `${DASHBOARD}/admin/deliveries`, label: 'Deliveries', id: 'deliveries', master: true },
];

export function CsrfField(props: { session: DashboardSession }) {
  return <input type="hidden" name={CSRF_FIELD} value={props.session.csrf} />;
}

export function Layout(props: { title: string; session: DashboardSession | null; active?: string; scripts?: readonly string[]; children?: Child }) {
  const { session } = props;
  return (
    <>
    {raw('<!doctype html>')}
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {session ? <meta name="csrf-token" content={session.csrf} /> : null}
        <title>{`${props.title} · Reelay`}</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href={`${DASHBOARD}/assets/dashboard.css`} />
      </head>
      <body>
        <header class="top">
          <a class="brand" href={`${DASHBOARD}/tasks`}>
            Reelay
          </a>
          {session ? (
            <nav>
              {NAV.filter((n) => (n.master ? session.isMaster : true) && (n.keyOnly ? !session.isMaster : true)).map((n) => (
                <a href={n.href} class={n.id === props.active ? 'active' : undefined}>
                  {n.label}
                </a>
              ))}
              <a href="/docs">API reference</a>
            </nav>
          ) : null}
          {session ? (
            <form class="who" method="post" action={`${DASHBOARD}/logout`}>
              <span title={session.keyId}>{session.name}</span>
              <CsrfField session={session} />
              <button type="submit" class="link">
                Sign out
              </button>
            </form>
          ) : null}
        </header>
        <main>{props.children}</main>
        {(props.scripts ?? []).map((s) => (
          <script src={`${DASHBOARD}/assets/${s}`} defer></script>
        ))}
      </body>
    </html>
    </>
  );
}
