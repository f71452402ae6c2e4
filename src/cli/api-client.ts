/** The CLI's client of a running Reelay, speaking the official Kling dialect. */
import { z } from 'zod';

const taskData = z.object({
  task_id: z.string(),
  task_status: z.string(),
  task_status_msg: z.string().optional(),
  task_result: z.object({ videos: z.array(z.object({ url: z.string(), duration: z.string() })) }).optional(),
  reelay: z.object({ progress: z.number() }).optional(),
});
const envelope = z.object({ code: z.number(), message: z.string(), data: z.unknown().optional() });

export type KlingTaskView = z.infer<typeof taskData>;
export type VideoKind = 'text2video' | 'image2video';

export class ApiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

export function createApiClient(baseUrl: string, key: string) {
  async function call(method: string, path: string, body?: unknown): Promise<KlingTaskView> {
    let res: Response;
    try {
      res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (e) {
      throw new ApiError(`cannot reach Reelay at ${baseUrl}: ${(e as Error).message} (is \`npm start\` running?)`);
    }
    const parsed = envelope.safeParse(await res.json().catch(() => null));
    if (!parsed.success) throw new ApiError(`unexpected answer from ${baseUrl}${path} (HTTP ${res.status})`);
    if (parsed.data.code !== 0) throw new ApiError(`${parsed.data.message} (code ${parsed.data.code}, HTTP ${res.status})`);
    return taskData.parse(parsed.data.data);
  }
  return {
    /** `POST /v1/videos/{kind}`: text2video, or image2video when the body has a frame. */
    create: (kind: VideoKind, body: Record<string, unknown>) => call('POST', `/v1/videos/${kind}`, body),
    /** `GET /v1/videos/{kind}/{id}`: a task is read on the route of the kind that made it. */
    get: (kind: VideoKind, id: string) => call('GET', `/v1/videos/${kind}/${encodeURIComponent(id)}`),
  };
}
