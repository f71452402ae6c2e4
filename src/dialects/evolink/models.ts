/** EvoLink's model names (seeds 000, 002) and the canonical model each one asks for. */
import { STANDARD_MODEL, TURBO_MODEL } from '../../domain/video-request.ts';

export const EVOLINK_MODELS = {
  'kling-v3-text-to-video': STANDARD_MODEL,
  'kling-v3-turbo-text-to-video': TURBO_MODEL,
} as const satisfies Record<string, string>;

export type EvolinkModelName = keyof typeof EVOLINK_MODELS;

export function isEvolinkModel(name: string): name is EvolinkModelName {
  return Object.hasOwn(EVOLINK_MODELS, name);
}

/** The name an EvoLink client sent for a canonical model (a task row stores only the canonical one). */
export function evolinkModelName(canonical: string): string {
  for (const [wire, model] of Object.entries(EVOLINK_MODELS)) if (model === canonical) return wire;
  return canonical;
}
