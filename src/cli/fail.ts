/** Ends a CLI command that cannot do its work: the reasons on stderr, one a line, and exit code 1. */
import { isAppError } from '../domain/errors.ts';

export function fail(...problems: string[]): never {
  for (const p of problems) console.error(p);
  process.exit(1);
}

/** Runs `work`; a refusal (an AppError, e.g. a bad --from) ends the command with its message. */
export async function orFail<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (isAppError(e)) fail(e.message);
    throw e;
  }
}
