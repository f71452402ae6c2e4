/**
 * The playground: a Kling v3 request built in a form, a live price estimate, submit. The page's
 * script (public/dashboard/playground.js) builds the official Kling create body; both JSON
 * endpoints read it with the very parser `POST /v1/videos/{kind}` runs, so the estimate refuses
 * what the create would, and a task made here is a Kling task like any other (dialect `kling`,
 * an 18-digit id, visible through the Kling API with the same key).
 */
import type { Context } from 'hono';
import { toCredits } from '../../billing/credits.ts';
import { AppError } from '../../domain/errors.ts';
import type { TaskKind } from '../../domain/task.ts';
import { ASPECT_RATIOS, LIMITS, TIERS, type Tier } from '../../domain/video-request.ts';
import { mintKlingTaskId } from '../../dialects/kling/flavors.ts';
import { priceOf } from '../../engine/create-task.ts';
import { parseAsCreateRoute, type ParsedCreate } from '../create-request-parsers.ts';
import { readIdempotency } from '../idempotency.ts';
import { IMAGE_BODY_BYTES, limitBody, readJsonBody } from '../read-json.ts';
import type { DashboardApp, DashboardDeps, DashboardEnv } from './dashboard-env.ts';
import type { DashboardSession } from './dashboard-session.ts';
import { DASHBOARD, Layout } from './layout.tsx';

/** Where app.ts mounts the official Kling routes: the create-parser table knows them by this path. */
const KLING_PREFIX = '/v1';
const KLING_FLAVOR = 'kling';

const TIER_LABELS: Readonly<Record<Tier, string>> = { std: 'std · 720p', pro: 'pro · 1080p', '4k': '4k · 2160p' };
const DEFAULT_DURATION = 5;
const durations = Array.from({ length: LIMITS.maxDuration - LIMITS.minDuration + 1 }, (_, i) => LIMITS.minDuration + i);

/** A body with a first or last frame is an image-to-video request, as a client would POST it to that route. */
function kindOf(body: unknown): TaskKind {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'text2video';
  const b = body as Record<string, unknown>;
  const given = (v: unknown) => v !== undefined && v !== null && v !== '';
  return given(b.image) || given(b.image_tail) ? 'image2video' : 'text2video';
}

/** Reads the body as the Kling create route of its kind does, its size limit included. */
async function parseKlingBody(c: Context<DashboardEnv>, deps: DashboardDeps): Promise<ParsedCreate> {
  const body = await readJsonBody(c);
  const path = `${KLING_PREFIX}/videos/${kindOf(body)}`;
  // The routes below are bounded by the image-to-video limit; a text-to-video body keeps its smaller one.
  // hono keeps the body it already read, so this reads no second copy.
  const parsed = parseAsCreateRoute(path, body, (await c.req.arrayBuffer()).byteLength, deps.models);
  if (parsed.dialect !== KLING_FLAVOR) throw new Error(`${path} parses the ${parsed.dialect} dialect, not ${KLING_FLAVOR}`);
  return parsed;
}

function requireApiKey(session: DashboardSession): void {
  if (session.isMaster) {
    throw new AppError('forbidden', 'the master key has no budget and creates no tasks: sign in with an API key to use the playground');
  }
}

function Select(props: { name: string; label: string; options: ReadonlyArray<readonly [string, string]>; value: string }) {
  return (
    <label>
      {props.label}
      <select name={props.name} id={`f-${props.name}`}>
        {props.options.map(([value, text]) => (
          <option value={value} selected={value === props.value}>
            {text}
          </option>
        ))}
      </select>
      <FieldError field={props.name} />
    </label>
  );
}

/** Where the script shows a refused field's rule; `field` is the wire name the server's error names. */
function FieldError(props: { field: string }) {
  return <span class="field-error" data-error-for={props.field} role="alert" hidden></span>;
}

function Frame(props: { name: string; label: string }) {
  return (
    <fieldset class="frame" data-frame={props.name}>
      <legend>{props.label}</legend>
      <label>
        Image file (≤ 10 MB, sent as base64)
        <input type="file" name={`${props.name}_file`} accept="image/jpeg,image/png,image/webp" />
      </label>
      <label>
        or an image URL
        <input type="url" name={`${props.name}_url`} placeholder="https://…" />
      </label>
      <button type="button" class="secondary small" data-clear-frame={props.name}>
        Clear
      </button>
      <FieldError field={props.name} />
    </fieldset>
  );
}

function PlaygroundForm(props: { models: readonly string[] }) {
  return (
    <form id="playground" class="card" method="post" novalidate>
      <p id="form-error" class="error" role="alert" hidden></p>
      <div class="fields">
        <Select name="model_name" label="Model" options={props.models.map((m) => [m, m] as const)} value={props.models[0] ?? ''} />
        <Select name="mode" label="Tier" options={TIERS.map((t) => [t, TIER_LABELS[t]] as const)} value="std" />
        <Select name="duration" label="Duration" options={durations.map((d) => [String(d), `${d} s`] as const)} value={String(DEFAULT_DURATION)} />
        <Select name="aspect_ratio" label="Aspect ratio" options={ASPECT_RATIOS.map((a) => [a, a] as const)} value="16:9" />
        <Select name="sound" label="Sound" options={[['off', 'off'], ['on', 'on']]} value="off" />
      </div>
      <label id="prompt-label">
        Prompt <span class="muted small">(≤ {LIMITS.promptChars} characters)</span>
        <textarea name="prompt" maxlength={LIMITS.promptChars} placeholder="A red fox trots through fresh snow at dawn, cinematic"></textarea>
        <FieldError field="prompt" />
      </label>
      <label>
        Negative prompt <span class="muted small">(optional)</span>
        <textarea name="negative_prompt" maxlength={LIMITS.promptChars}></textarea>
        <FieldError field="negative_prompt" />
      </label>
      <section id="shots" class="shots" data-max-shots={LIMITS.maxShots} data-max-chars={LIMITS.shotPromptChars}>
        <div class="fields">
          <Select
            name="shot_type"
            label="Shots"
            options={[['', 'one shot'], ['customize', 'multi-shot: my shots'], ['intelligence', 'multi-shot: the model splits']]}
            value=""
          />
          <p id="shots-sum" class="small"></p>
        </div>
        <p id="shots-help" class="muted small" hidden>
          1–{LIMITS.maxShots} shots of at least 1 s each, each prompt ≤ {LIMITS.shotPromptChars} characters; their durations must add up to the total duration.
        </p>
        <ol id="shot-list" class="shot-list" hidden></ol>
        <button type="button" id="add-shot" class="secondary small">
          Add shot
        </button>
        <FieldError field="multi_prompt" />
      </section>
      <div class="grid2">
        <Frame name="image" label="First frame (image-to-video)" />
        <Frame name="image_tail" label="Last frame" />
      </div>
      <div class="row-between">
        <p id="estimate" class="estimate" aria-live="polite">
          Estimate: …
        </p>
        <button type="submit" id="submit">
          Create video
        </button>
      </div>
      <noscript>
        <p class="error">The playground needs JavaScript for its estimate, shots and images.</p>
      </noscript>
    </form>
  );
}

export function registerPlayground(app: DashboardApp, deps: DashboardDeps): void {
  app.get('/playground', (c) => {
    const session = c.get('session');
    if (session.isMaster) {
      return c.html(
        <Layout title="Playground" session={session} active="playground">
          <section class="card narrow">
            <h1>Playground</h1>
            <p>The master key has no budget and creates no tasks. Sign out and sign in with an API key to make videos here.</p>
            <p>
              <a href={`${DASHBOARD}/admin/keys`}>Keys</a>
            </p>
          </section>
        </Layout>,
      );
    }
    return c.html(
      <Layout title="Playground" session={session} active="playground" scripts={['playground.js']}>
        <h1>Playground</h1>
        <p class="muted small">
          Builds an official Kling API request (<span class="mono">POST /v1/videos/text2video</span>, or image2video with a frame); the task is this key's, billed and listed like any other.
        </p>
        <PlaygroundForm models={deps.models} />
      </Layout>,
    );
  });

  // Bounded by the larger limit (two base64 frames); parseKlingBody applies the kind's own.
  app.post('/api/estimate', limitBody(IMAGE_BODY_BYTES), async (c) => {
    const { request } = await parseKlingBody(c, deps);
    const price = priceOf(deps.prices, request);
    return c.json({ credits: toCredits(price.holdMicros), micros: price.holdMicros, model: price.model, tier: price.tier, duration: price.seconds, sound: price.audio }, 200);
  });

  app.post('/api/tasks', limitBody(IMAGE_BODY_BYTES), async (c) => {
    const session = c.get('session');
    requireApiKey(session);
    // Before the parse, as the Kling route does: it hashes the body bytes the parser then reads.
    const idempotency = await readIdempotency(c);
    const { dialect, kind, request } = await parseKlingBody(c, deps);
    const created = await deps.createTask({ keyId: session.keyId, dialect, kind, publicId: mintKlingTaskId(KLING_FLAVOR), request, idempotency });
    deps.events.notify(created.task.id);
    if (created.replayed) c.header('idempotent-replayed', 'true');
    const id = created.task.publicId;
    // 201 for a replay too: the Kling route's 200 is Kling's wire habit, this is the dashboard's own API.
    return c.json({ id, url: `${DASHBOARD}/tasks/${encodeURIComponent(id)}` }, 201);
  });
}
