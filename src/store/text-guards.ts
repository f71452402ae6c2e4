/** Database quirks both back ends share a code path for. */

/** True when a write failed on a UNIQUE constraint (optionally: on one whose name mentions `column`). */
export function isUniqueViolation(e: unknown, column?: string): boolean {
  if (typeof e !== 'object' || e === null || !('code' in e)) return false;
  const { code, message, constraint } = e as { code: unknown; message?: unknown; constraint?: unknown };
  const unique = code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
  if (!unique || column === undefined) return unique;
  // SQLite names the columns in the message; PostgreSQL names the index (tasks_external_id).
  const where = `${typeof message === 'string' ? message : ''} ${typeof constraint === 'string' ? constraint : ''}`;
  return where.includes(column) || where.includes(column.replace(/_task_id$/, '_id'));
}

/** PostgreSQL refuses NUL in text; a value holding one can match nothing, so lookups skip it. */
export function isStorableText(value: string): boolean {
  return !value.includes('\u0000');
}
