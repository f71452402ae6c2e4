/** APIMart's model names (seed 004) and the canonical model each one asks for. */
import { STANDARD_MODEL } from '../../domain/video-request.ts';

export const APIMART_MODELS = { 'kling-v3': STANDARD_MODEL } as const satisfies Record<string, string>;

export type ApimartModelName = keyof typeof APIMART_MODELS;

export function isApimartModel(name: string): name is ApimartModelName {
  return Object.hasOwn(APIMART_MODELS, name);
}
