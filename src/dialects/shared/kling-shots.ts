/**
 * Kling's multi-shot fields (spec §1.3), read the same wherever a body copies them (the legacy
 * Kling body, APIMart): `shot_type` and `multi_prompt` are read only when `multi_shot` is true,
 * as Kling ignores them otherwise, and `multi_prompt` only for the `customize` shot type.
 */
import { z } from 'zod';
import { AppError } from '../../domain/errors.ts';
import { SHOT_TYPES, type Shot, type ShotType } from '../../domain/video-request.ts';
import { digitInteger, int, list, obj, oneOf, readShape, str } from './wire-shape.ts';

const shotTypeSchema = z.object({ shot_type: z.enum(SHOT_TYPES, oneOf(SHOT_TYPES)).nullish() });
const shotsSchema = z.object({
  multi_prompt: list(obj({ index: int(), prompt: str(), duration: z.unknown().optional() })).nullish(),
});

export type KlingShots = {
  multiShot: ShotType | null;
  /** Ordered by index. */
  shots: Shot[];
  /** Where each sorted shot sat in the client's array, so a message points at what was sent. */
  positions: number[];
};

/** The shots of `body` whose `multi_shot` field read `multiShot`; throws AppError on bad input. */
export function klingShotsOf(body: object, multiShot: boolean | null | undefined): KlingShots {
  const shotType = multiShot === true ? shotTypeOf(body) : null;
  const { shots, positions } = shotType === 'customize' ? shotsOf(body) : { shots: [], positions: [] };
  return { multiShot: shotType, shots, positions };
}

function shotTypeOf(body: object): ShotType {
  const shotType = readShape(shotTypeSchema, body).shot_type;
  if (!shotType) throw new AppError('invalid_parameter', 'shot_type is required when multi_shot is true', { field: 'shot_type' });
  return shotType;
}

function shotsOf(body: object): { shots: Shot[]; positions: number[] } {
  const items = (readShape(shotsSchema, body).multi_prompt ?? []).map((s, position) => ({
    position,
    shot: { index: s.index, prompt: s.prompt, duration: digitInteger(s.duration) },
  }));
  items.sort((a, b) => a.shot.index - b.shot.index);
  return { shots: items.map((i) => i.shot), positions: items.map((i) => i.position) };
}
