/**
 * The price table as a client reads it (`GET /v1/pricing`): the served models only, their tiers
 * in std/pro/4k order, every number filled in, so a client never has to know the table's
 * defaults (with-audio = without, no voice surcharge).
 */
import { TIERS, type Tier } from '../domain/video-request.ts';
import { toCredits, toMicros } from './credits.ts';
import { tierRates, type PriceTable } from './price-table.ts';

/** The resolution each tier renders at (spec: std 720p, pro 1080p, 4k). */
const RESOLUTIONS: Readonly<Record<Tier, string>> = { std: '720p', pro: '1080p', '4k': '4k' };

export type PriceListTier = {
  tier: Tier;
  /** What the Kling dialects call the tier (`mode`). */
  mode: Tier;
  resolution: string;
  per_second: number;
  per_second_with_audio: number;
  voice_surcharge_per_second: number;
};

export type PriceList = {
  unit: 'credit';
  billing_rule: 'per_second';
  models: Array<{ model: string; tiers: PriceListTier[] }>;
};

/**
 * Numbers pass through micro-credits and back: a configured 0.1234567 is charged as 0.123457
 * (src/billing/credits.ts), and the list says what is charged.
 */
const charged = (credits: number): number => toCredits(toMicros(credits));

export function priceList(table: PriceTable, models: readonly string[]): PriceList {
  return {
    unit: 'credit',
    billing_rule: 'per_second',
    models: models.map((model) => ({
      model,
      tiers: TIERS.flatMap((tier): PriceListTier[] => {
        const price = table[model]?.[tier];
        if (!price) return [];
        const rates = tierRates(price);
        return [{
          tier,
          mode: tier,
          resolution: RESOLUTIONS[tier],
          per_second: charged(rates.perSecond),
          per_second_with_audio: charged(rates.perSecondWithAudio),
          voice_surcharge_per_second: charged(rates.voiceSurchargePerSecond),
        }];
      }),
    })),
  };
}
