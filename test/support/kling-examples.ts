/** The request bodies of the spec and the issue, verbatim, shared by the dialect and e2e tests. */

/** The first request (and the README's). */
export const README_EXAMPLE = {
  model_name: 'kling-v3',
  prompt: 'An ancient Japanese courtyard, rain falling into a pond',
  duration: '5',
  mode: 'std',
  aspect_ratio: '16:9',
  sound: 'on',
} as const;

/** The official multi-shot example, spec §1.3: 15 s = 2+3+3+3+3+1, pro, 9:16, sound on. */
export const OFFICIAL_MULTI_SHOT = {
  model_name: 'kling-v3',
  prompt: '',
  multi_shot: true,
  shot_type: 'customize',
  multi_prompt: [
    { index: 1, prompt: 'Two friends talking under a streetlight at night.', duration: '2' },
    { index: 2, prompt: 'A runner sprinting through a forest, leaves flying.', duration: '3' },
    { index: 3, prompt: 'A woman hugging a cat, smiling.', duration: '3' },
    { index: 4, prompt: 'A door creaking open, shadowy hallway.', duration: '3' },
    { index: 5, prompt: 'A man slipping on a banana peel.', duration: '3' },
    { index: 6, prompt: 'A sunset over mountains, small figure walking away.', duration: '1' },
  ],
  duration: '15',
  mode: 'pro',
  sound: 'on',
  aspect_ratio: '9:16',
  callback_url: '',
  external_task_id: '',
} as const;

/** Seed 002's own shot-syntax example, the new design's multi-shot prompt (5 s = 3 + 2). */
export const SEED_002_SHOTS = '镜头 1, 3, the girl walks toward the window; 镜头 2, 2, the camera zooms into her profile;';
