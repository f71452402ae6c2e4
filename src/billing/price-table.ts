/**
 * The price table: credits per second of video, per model and tier, with and without audio, plus
 * a surcharge when the prompt uses specified voices (seed 001: "billing is based on 'with
 * specified voice'"). Billing is per second of the requested duration (seed 002), captured at
 * the duration actually delivered (src/billing/settlement.ts).
 */
import type { Tier, VideoRequest } from '../domain/video-request.ts';
import { toMicros } from './credits.ts';

export type TierPrice = {
  /** Credits per second without audio. */
  per_second: number;
  /** Credits per second with audio; absent = the same as without (a tier that ignores audio, like 4k). */
  per_second_with_audio?: number | undefined;
  /** Credits per second added when voices are specified (sound on, voice ids given); absent = 0. */
  voice_surcharge_per_second?: number | undefined;
};

/** Model -> tier -> price. A tier a model lacks is a tier the model is not sold in. */
export type PriceTable = Readonly<Record<string, { readonly [T in Tier]?: TierPrice | undefined }>>;

/**
 * Kling's published unit prices (spec §1.12, a secondary summary of the official price page):
 * Kling 3.0 720p 0.6 / 0.9 with audio, 1080p 0.8 / 1.2, 4K 3.0 whatever the audio (seed 000: "an
 * independent tier, billing not affected by generate_audio/voice_ids"); 3.0 Turbo 0.8 (720p) /
 * 1.0 (1080p). [I] The price page lists no separate voice price, so the default surcharge is 0;
 * an operator who pays one upstream sets `voice_surcharge_per_second`.
 */
export const DEFAULT_PRICE_TABLE: PriceTable = {
  'kling-v3': {
    std: { per_second: 0.6, per_second_with_audio: 0.9 },
    pro: { per_second: 0.8, per_second_with_audio: 1.2 },
    '4k': { per_second: 3.0 },
  },
  'kling-v3-turbo': {
    std: { per_second: 0.8 },
    pro: { per_second: 1.0 },
  },
};

/** A tier's three rates with the table's defaults filled in: audio costs as much as none, no voice surcharge. */
export function tierRates(price: TierPrice): { perSecond: number; perSecondWithAudio: number; voiceSurchargePerSecond: number } {
  return {
    perSecond: price.per_second,
    perSecondWithAudio: price.per_second_with_audio ?? price.per_second,
    voiceSurchargePerSecond: price.voice_surcharge_per_second ?? 0,
  };
}

/** What a request costs: the rate that applies and the hold for its whole requested duration. */
export type Quote = {
  model: string;
  tier: Tier;
  /** Whole seconds requested. */
  seconds: number;
  audio: boolean;
  voices: boolean;
  /** Micro-credits per second, surcharges included. */
  perSecondMicros: number;
  /** perSecondMicros × seconds: what is held at create. */
  holdMicros: number;
};

/** The price of a request, or null when the table has no price for its model and tier. */
export function quote(table: PriceTable, request: Pick<VideoRequest, 'model' | 'tier' | 'duration' | 'sound' | 'voiceIds'>): Quote | null {
  const price = table[request.model]?.[request.tier];
  if (!price) return null;
  const voices = request.sound && request.voiceIds.length > 0;
  const rates = tierRates(price);
  const perSecond = (request.sound ? rates.perSecondWithAudio : rates.perSecond) + (voices ? rates.voiceSurchargePerSecond : 0);
  const perSecondMicros = toMicros(perSecond);
  return {
    model: request.model,
    tier: request.tier,
    seconds: request.duration,
    audio: request.sound,
    voices,
    perSecondMicros,
    holdMicros: perSecondMicros * request.duration,
  };
}
