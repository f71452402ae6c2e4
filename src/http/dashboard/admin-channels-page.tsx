/** The channels page: each upstream channel's settings (never its secrets), health and load. */
import type { ChannelStatus } from '../../engine/channel-status.ts';
import type { DashboardSession } from './dashboard-session.ts';
import { Layout } from './layout.tsx';
import { Time } from './task-views.tsx';

function Health(props: { ch: ChannelStatus; now: number }) {
  const { ch } = props;
  if (ch.healthy) return <span class="badge status-completed">healthy</span>;
  return (
    <>
      <span class="badge status-failed">cooling down</span>
      {ch.unhealthy_until !== null && ch.unhealthy_until > props.now ? (
        <div class="small muted">
          until <Time ms={ch.unhealthy_until} />
        </div>
      ) : null}
    </>
  );
}

function Load(props: { ch: ChannelStatus }) {
  const { ch } = props;
  const full = ch.max_concurrency > 0 ? Math.min(100, Math.round((ch.in_flight / ch.max_concurrency) * 100)) : 0;
  return (
    <span class="progress" title={`${full} % of max_concurrency`}>
      <progress max={100} value={full}></progress> <span class="num">{`${ch.in_flight} / ${ch.max_concurrency}`}</span>
    </span>
  );
}

function ChannelCard(props: { ch: ChannelStatus; now: number }) {
  const { ch } = props;
  return (
    <section class="card" id={`channel-${ch.name}`}>
      <div class="row-between">
        <h2>{ch.name}</h2>
        <Health ch={ch} now={props.now} />
      </div>
      <dl class="facts">
        <dt>provider</dt>
        <dd>{ch.provider}</dd>
        <dt>base URL</dt>
        <dd class="mono small">{ch.base_url}</dd>
        <dt>models</dt>
        <dd class="small">
          {Object.entries(ch.models)
            .map(([ours, theirs]) => (ours === theirs ? ours : `${ours} → ${theirs}`))
            .join(', ') || '—'}
        </dd>
        <dt>priority · weight</dt>
        <dd>{`${ch.priority} · ${ch.weight}`}</dd>
        <dt>in flight</dt>
        <dd>
          <Load ch={ch} />
        </dd>
        <dt>requests per second</dt>
        <dd>{String(ch.requests_per_second)}</dd>
        <dt>failures in a row</dt>
        <dd>{String(ch.consecutive_failures)}</dd>
        <dt>last success</dt>
        <dd>
          <Time ms={ch.last_success_at} />
        </dd>
      </dl>
      <h2>Recent errors</h2>
      {ch.recent_errors.length === 0 ? (
        <p class="muted small">None.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>When</th>
              <th>Class</th>
              <th>Code</th>
              <th>Message</th>
            </tr>
          </thead>
          <tbody>
            {ch.recent_errors.map((e) => (
              <tr>
                <td class="small">
                  <Time ms={e.at} />
                </td>
                <td>{e.class}</td>
                <td class="mono small">{e.code}</td>
                <td class="small">{e.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function ChannelsPage(props: { session: DashboardSession; channels: ChannelStatus[]; models: readonly string[]; now: number }) {
  return (
    <Layout title="Channels" session={props.session} active="channels">
      <h1>Channels</h1>
      {props.channels.length === 0 ? (
        <section class="card">
          <p>
            No upstream channels are configured: the built-in <strong>preview</strong> renderer serves every model ({props.models.join(', ')}). It draws a
            placeholder video locally, not AI video. Configure Kling credentials or channels to send work upstream.
          </p>
        </section>
      ) : (
        props.channels.map((ch) => <ChannelCard ch={ch} now={props.now} />)
      )}
    </Layout>
  );
}
