/**
 * A minimal server-sent-events client for benchmarks: follows one task's `GET
 * /v1/tasks/{id}/events` until a terminal event (completed, failed, canceled), and notes when
 * each event arrived (Date.now() as its block is complete).
 */
const TERMINAL = new Set(['completed', 'failed', 'canceled']);

export type SseOutcome = {
  /** The terminal event's name, or null when the stream ended (or failed) without one. */
  terminal: string | null;
  /** When the terminal event arrived (ms epoch), or null. */
  at: number | null;
  /** Event names in order. */
  events: string[];
  error: string | null;
};

export async function watchTaskEvents(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<SseOutcome> {
  const events: string[] = [];
  try {
    const res = await fetch(url, { headers: { ...headers, accept: 'text/event-stream' }, signal });
    if (res.status !== 200 || !res.body) return { terminal: null, at: null, events, error: `HTTP ${res.status}: ${(await res.text()).slice(0, 200)}` };
    const decoder = new TextDecoder();
    let buffer = '';
    let event = 'message';
    let done: SseOutcome | null = null;
    read: for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        if (line === '') {
          // A block ends: dispatch (a comment-only block, the keep-alive, leaves `event` as it was).
          if (event !== 'message') {
            events.push(event);
            if (TERMINAL.has(event)) {
              // Leaving the loop cancels the stream (the iterator's return()).
              done = { terminal: event, at: Date.now(), events, error: null };
              break read;
            }
          }
          event = 'message';
        } else if (line.startsWith('event:')) {
          event = line.slice(6).trim();
        }
      }
    }
    return done ?? { terminal: null, at: null, events, error: 'the stream ended without a terminal event' };
  } catch (e) {
    return { terminal: null, at: null, events, error: e instanceof Error ? e.message : String(e) };
  }
}
