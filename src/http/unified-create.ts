/**
 * The create body of `POST /v1/videos/generations`, which EvoLink and APIMart share: its `model`
 * picks the dialect, then that dialect's parser reads it. Used by the route and by the estimate
 * (create-request-parsers.ts), so both read a body the same way.
 */
import { AppError } from '../domain/errors.ts';
import type { TaskKind } from '../domain/task.ts';
import type { VideoRequest } from '../domain/video-request.ts';
import { APIMART_MODELS, isApimartModel } from '../dialects/apimart/models.ts';
import { parseApimartCreate } from '../dialects/apimart/parse-create.ts';
import { EVOLINK_MODELS, isEvolinkModel } from '../dialects/evolink/models.ts';
import { parseEvolinkCreate } from '../dialects/evolink/parse-create.ts';
import { NOT_AN_OBJECT, isObjectBody } from '../dialects/shared/wire-shape.ts';
import type { UnifiedDialect } from './routes/unified-task-routes.ts';

/** Which dialect a create body speaks, from its `model`; an unreadable or unknown model is an EvoLink error. */
export function unifiedDialectOf(body: unknown, served: readonly string[]): UnifiedDialect {
  if (!isObjectBody(body)) throw new AppError('invalid_parameter', NOT_AN_OBJECT);
  let model: unknown;
  try {
    model = body.model;
  } catch (cause) {
    throw new AppError('invalid_parameter', 'request body must be a JSON object', { cause });
  }
  if (model === undefined || model === null || model === '') {
    throw new AppError('invalid_parameter', `model is required; available models: ${availableModels(served)}`, { field: 'model' });
  }
  if (typeof model !== 'string') throw new AppError('invalid_parameter', 'model must be a string', { field: 'model' });
  if (isEvolinkModel(model)) return 'evolink';
  if (isApimartModel(model)) return 'apimart';
  // EvoLink answers an unknown model with 400 invalid_request_error (its "Invalid model" row).
  const shown = model.length > 64 ? `${model.slice(0, 64)}…` : model;
  throw new AppError('invalid_parameter', `model '${shown}' is not available; available models: ${availableModels(served)}`, { field: 'model' });
}

function availableModels(served: readonly string[]): string {
  const all = { ...EVOLINK_MODELS, ...APIMART_MODELS };
  return Object.entries(all).filter(([, canonical]) => served.includes(canonical)).map(([wire]) => wire).join(', ') || 'none';
}

/** The body read by `dialect`'s parser (EvoLink's Kling v3 models are text-to-video only). */
export function parseUnifiedCreate(dialect: UnifiedDialect, body: unknown, models: readonly string[]): { kind: TaskKind; request: VideoRequest } {
  if (dialect === 'apimart') return parseApimartCreate(body, { models });
  return { kind: 'text2video', request: parseEvolinkCreate(body, { models }) };
}
