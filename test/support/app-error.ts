import { expect } from 'vitest';
import { AppError } from '../../src/domain/errors.ts';

/**
 * The AppError `run` refuses with; the test fails when `run` throws anything else, or accepts
 * (with the message `accepted`).
 */
export function appErrorOf(run: () => unknown, accepted = 'expected an AppError, but it was accepted'): AppError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error(accepted);
}

/** A refusal of a fuzzed body: an AppError with status 400 whose message starts with its field, when it names one. */
export function expectFieldRefusal(e: unknown): void {
  expect(e).toBeInstanceOf(AppError);
  const error = e as AppError;
  expect(error.status).toBe(400);
  if (error.field !== undefined) expect(error.message.startsWith(error.field)).toBe(true);
}
