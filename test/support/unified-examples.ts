/** The EvoLink and APIMart request bodies of the spec and the seeds, verbatim, shared by the dialect and route tests. */

/** Spec §2.1's EvoLink example request. */
export const EVOLINK_SPEC_EXAMPLE = {
  model: 'kling-v3-text-to-video',
  prompt: 'A cat running on a grass field under bright sunshine',
  duration: 5,
  aspect_ratio: '16:9',
  quality: '720p',
} as const;

/** Seed 002's documented values (the EvoLink turbo model). */
export const EVOLINK_SEED_002 = {
  model: 'kling-v3-turbo-text-to-video',
  prompt: 'A golden retriever running on a sunlit grass field, cinematic slow motion',
  quality: '720p',
  aspect_ratio: '16:9',
  duration: 5,
  callback_url: 'https://your-domain.com/webhooks/video-task-completed',
} as const;

/** The prompt of seed 004's APIMart use cases. */
export const APIMART_PROMPT = 'a golden retriever running on the beach, sunset, cinematic';

/** Seed 004's first APIMart use case: text to video, std. */
export const APIMART_CASE_1 = { model: 'kling-v3', prompt: APIMART_PROMPT, mode: 'std', duration: 5, aspect_ratio: '16:9' } as const;
