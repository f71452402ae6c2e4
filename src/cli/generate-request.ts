/**
 * `reelay generate`'s options -> the official Kling create body (spec §1.3 text2video, §1.10
 * image2video) and the route it goes to. Pure: files are read by the caller and handed in, so
 * every refusal here happens before any request, as a GenerateInputError with the words to print.
 */

export class GenerateInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GenerateInputError';
  }
}

/** One shot of a `--shots` file. */
export type ShotSpec = { prompt: string; duration: number };

export const MAX_SHOTS = 6;

const SHOTS_SHAPE = `an array of 1-${MAX_SHOTS} shots like [{"prompt": "a door opens", "duration": 2}]`;

/** The shots of a `--shots` file's text; `file` names it in every message. */
export function parseShotsFile(text: string, file: string): ShotSpec[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new GenerateInputError(`--shots ${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(value) || value.length < 1 || value.length > MAX_SHOTS) {
    const got = Array.isArray(value) ? `${value.length} shots` : value === null ? 'null' : typeof value;
    throw new GenerateInputError(`--shots ${file}: must be ${SHOTS_SHAPE}, not ${got}`);
  }
  return value.map((item: unknown, i) => {
    const where = `--shots ${file}: shot ${i + 1}`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new GenerateInputError(`${where} must be an object {"prompt": string, "duration": number}`);
    const { prompt, duration } = item as Record<string, unknown>;
    if (typeof prompt !== 'string' || prompt.trim() === '') throw new GenerateInputError(`${where}: "prompt" must be a non-empty string`);
    if (typeof duration !== 'number' || !Number.isInteger(duration) || duration < 1) {
      throw new GenerateInputError(`${where}: "duration" must be a whole number of seconds, at least 1 (got ${JSON.stringify(duration) ?? 'nothing'})`);
    }
    return { prompt, duration };
  });
}

export const isHttpUrl = (value: string) => /^https?:\/\//i.test(value);

export type GenerateInput = {
  prompt?: string | undefined;
  /** As typed; undefined = not given. */
  duration?: string | undefined;
  mode: string;
  aspect: string;
  sound: boolean;
  negative?: string | undefined;
  model: string;
  shots?: ShotSpec[] | undefined;
  /** An http(s) URL, or the raw base64 of a local file. */
  image?: string | undefined;
  imageTail?: string | undefined;
};

export type GenerateRequest = {
  kind: 'text2video' | 'image2video';
  body: Record<string, unknown>;
};

export const DEFAULT_DURATION = '5';

/** The create body for `input`; throws GenerateInputError for what must not be sent. */
export function buildGenerateRequest(input: GenerateInput): GenerateRequest {
  const hasFrames = input.image !== undefined || input.imageTail !== undefined;
  const shots = input.shots;
  if (shots && input.prompt !== undefined) {
    throw new GenerateInputError('give <prompt> or --shots, not both: with --shots each shot has its own prompt (Kling ignores the prompt of a multi-shot video)');
  }
  if (!shots && !hasFrames && (input.prompt === undefined || input.prompt.trim() === '')) {
    throw new GenerateInputError('missing <prompt>: say what the video shows, or give --shots <file> or --image <file-or-url>');
  }
  let duration = input.duration ?? DEFAULT_DURATION;
  const shotFields: Record<string, unknown> = {};
  if (shots) {
    const sum = shots.reduce((acc, s) => acc + s.duration, 0);
    if (input.duration === undefined) duration = String(sum);
    else if (!/^\d+$/.test(input.duration) || Number(input.duration) !== sum) {
      throw new GenerateInputError(`--duration ${input.duration} does not match the shots, which add up to ${sum} s: drop --duration or make them agree`);
    }
    shotFields.multi_shot = true;
    shotFields.shot_type = 'customize';
    shotFields.multi_prompt = shots.map((s, i) => ({ index: i + 1, prompt: s.prompt, duration: String(s.duration) }));
  }
  const body: Record<string, unknown> = {
    model_name: input.model,
    ...(input.prompt !== undefined ? { prompt: input.prompt } : {}),
    ...shotFields,
    duration,
    mode: input.mode,
    aspect_ratio: input.aspect,
    sound: input.sound ? 'on' : 'off',
    ...(input.negative ? { negative_prompt: input.negative } : {}),
    ...(input.image !== undefined ? { image: input.image } : {}),
    ...(input.imageTail !== undefined ? { image_tail: input.imageTail } : {}),
  };
  return { kind: hasFrames ? 'image2video' : 'text2video', body };
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_MAGIC = [0xff, 0xd8, 0xff];
const startsWith = (bytes: Uint8Array, magic: number[]) => magic.every((b, i) => bytes[i] === b);

/** A local frame file's bytes as the raw base64 Kling takes (no `data:` prefix); JPEG or PNG only (spec §1.10). */
export function frameBase64(bytes: Uint8Array, label: string): string {
  if (bytes.length === 0) throw new GenerateInputError(`${label}: the file is empty`);
  if (!startsWith(bytes, PNG_MAGIC) && !startsWith(bytes, JPEG_MAGIC)) throw new GenerateInputError(`${label}: not a JPEG or PNG image`);
  return Buffer.from(bytes).toString('base64');
}
