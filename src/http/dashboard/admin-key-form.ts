/**
 * A key form's fields -> the JSON body the admin API takes, so one check (admin-actions.ts)
 * judges both. Only conversion happens here: a value that does not convert is passed on as
 * text, and the check names its field ("rpm must be a whole number ...").
 */

export type KeyFormValues = Record<string, string>;

/** The fields the key forms have, in their order on the page. */
export const KEY_FORM_FIELDS = ['budget_credits', 'rpm', 'max_concurrency', 'models', 'expires_at', 'webhook_url'] as const;

/** Text values of a parsed form (files are not expected; they become empty). */
export function formValues(form: Record<string, unknown>): KeyFormValues {
  const out: KeyFormValues = {};
  for (const [k, v] of Object.entries(form)) out[k] = typeof v === 'string' ? v.trim() : '';
  return out;
}

function toNumber(text: string): number | string {
  const n = Number(text);
  return text !== '' && Number.isFinite(n) ? n : text;
}

/** A `datetime-local` value has no zone and may lack seconds: the form says it is UTC. */
function toDateTime(text: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return `${text}T00:00:00Z`;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(text)) return `${text}:00Z`;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(text)) return `${text}Z`;
  return text;
}

/**
 * `create`: an empty field is left out (no limit). `update`: an empty field clears the limit
 * (null), since the form always shows every limit.
 */
export function keyBodyFromForm(values: KeyFormValues, mode: 'create' | 'update'): Record<string, unknown> {
  const body: Record<string, unknown> = mode === 'create' ? { name: values.name ?? '' } : {};
  for (const field of KEY_FORM_FIELDS) {
    const text = values[field] ?? '';
    if (text === '') {
      if (mode === 'update') body[field] = null;
      continue;
    }
    if (field === 'models') body[field] = text.split(/[\s,]+/).filter((m) => m !== '');
    else if (field === 'expires_at') body[field] = toDateTime(text);
    else if (field === 'webhook_url') body[field] = text;
    else body[field] = toNumber(text);
  }
  return body;
}
