/**
 * The operator's rules for callback URLs, applied to every create before anything is persisted.
 * The domain checks what any callback URL must be (absolute http(s), at most 2048 characters);
 * whether https is required and private targets are refused depends on REELAY_ALLOW_PRIVATE_URLS,
 * which only the server knows, so the check lives here, once for every dialect, and names the
 * field as the client's dialect spells it.
 */
import { AppError } from '../domain/errors.ts';
import { KLING_NEW_FIELD_NAMES } from '../dialects/kling-new/field-names.ts';
import type { TaskCreator } from '../engine/create-task.ts';
import { MASTER_KEY_ID } from '../store/api-keys.ts';
import { callbackUrlRule } from '../webhooks/callback-target.ts';

/** Every other dialect that takes a callback URL calls it `callback_url`. */
const CALLBACK_FIELD: Readonly<Record<string, string>> = { 'kling-new': KLING_NEW_FIELD_NAMES.callbackUrl };

/** `createTask`, refusing a callback URL the operator does not allow (invalid_parameter naming the field). */
export function checkingCallbackUrls(createTask: TaskCreator, options: { allowPrivate: boolean }): TaskCreator {
  return async (...args) => {
    const [input] = args;
    const url = input.request.callbackUrl;
    if (url !== null) {
      const field = Object.hasOwn(CALLBACK_FIELD, input.dialect) ? (CALLBACK_FIELD[input.dialect] as string) : 'callback_url';
      // Every delivery is signed with its key's webhook secret; the master key has none to sign with.
      if (input.keyId === MASTER_KEY_ID) {
        throw new AppError('invalid_parameter', `${field} needs an API key's webhook secret to sign callbacks: create the task with an API key (POST /admin/keys), not the master key`, { field });
      }
      const rule = callbackUrlRule(url, options);
      if (rule !== null) throw new AppError('invalid_parameter', `${field} ${rule}`, { field });
    }
    return createTask(...args);
  };
}
