/**
 * The new design names the model in the path (spec §1.11): `/text-to-video/kling-3.0`,
 * `/text-to-video/kling-3.0-turbo`, `/image-to-video/kling-3.0`. Each path name maps onto one
 * canonical model and one product.
 */
import { AppError } from '../../domain/errors.ts';
import type { TaskKind } from '../../domain/task.ts';
import { STANDARD_MODEL, TURBO_MODEL } from '../../domain/video-request.ts';

export const KLING_NEW_PRODUCTS = ['text-to-video', 'image-to-video'] as const;
export type KlingNewProduct = (typeof KLING_NEW_PRODUCTS)[number];

const PATH_MODELS: Record<KlingNewProduct, Record<string, string>> = {
  'text-to-video': { 'kling-3.0': STANDARD_MODEL, 'kling-3.0-turbo': TURBO_MODEL },
  // The spec documents no turbo image-to-video route.
  'image-to-video': { 'kling-3.0': STANDARD_MODEL },
};

const KINDS: Record<KlingNewProduct, TaskKind> = { 'text-to-video': 'text2video', 'image-to-video': 'image2video' };

/** The canonical model and task kind of a create path; 1203 when this server does not serve it. */
export function resolveKlingNewModel(product: KlingNewProduct, pathModel: string, served: readonly string[]): { model: string; kind: TaskKind } {
  const available = Object.entries(PATH_MODELS[product]).filter(([, model]) => served.includes(model));
  const found = available.find(([name]) => name === pathModel);
  if (!found) {
    const shown = pathModel.length > 64 ? `${pathModel.slice(0, 64)}…` : pathModel;
    const names = available.map(([name]) => name).join(', ') || 'none';
    throw new AppError('model_not_found', `model '${shown}' is not available for ${product}; available models: ${names}`, { field: 'model' });
  }
  return { model: found[1], kind: KINDS[product] };
}
