/** A small server-sent events reader for tests: events and comments as they arrive on the wire. */

export type SseItem = { kind: 'comment'; text: string } | { kind: 'event'; event: string; id: string; data: string };

/** Every item of `res`'s body, in order, until the server closes the stream. */
export async function* sseItems(res: Response): AsyncGenerator<SseItem> {
  if (!res.body) throw new Error('the response has no body');
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += value;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        yield* parseBlock(block);
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

function* parseBlock(block: string): Generator<SseItem> {
  let event = 'message';
  let id = '';
  const data: string[] = [];
  let hasField = false;
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) {
      yield { kind: 'comment', text: line.slice(1).trim() };
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    hasField = true;
    if (field === 'event') event = value;
    else if (field === 'id') id = value;
    else if (field === 'data') data.push(value);
  }
  if (hasField) yield { kind: 'event', event, id, data: data.join('\n') };
}

/** All items until the server closes the stream; fails after `timeoutMs`. */
export async function readToEnd(res: Response, timeoutMs = 60_000): Promise<SseItem[]> {
  const items: SseItem[] = [];
  const reading = (async () => {
    for await (const item of sseItems(res)) items.push(item);
  })();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the stream was still open after ${timeoutMs} ms; got ${JSON.stringify(items)}`)), timeoutMs);
  });
  try {
    await Promise.race([reading, timeout]);
  } finally {
    clearTimeout(timer);
  }
  return items;
}

export const eventsOf = (items: SseItem[]) => items.filter((i): i is Extract<SseItem, { kind: 'event' }> => i.kind === 'event');
