/**
 * The seconds a task is expected to take, for the `estimated_time` EvoLink and APIMart report.
 * [I] Neither documents how it is computed: EvoLink's example says 300 for 5 s of Kling v3.
 * Real Kling renders take minutes and grow with length and resolution; the preview provider
 * renders about as fast as real time. Clients use the figure to pace polling, so it errs long.
 */
import type { Task } from '../../domain/task.ts';

const SECONDS_PER_VIDEO_SECOND = { std: 36, pro: 48, '4k': 96 } as const;
const UPSTREAM_BASE_SECONDS = 120;

export function estimatedSeconds(task: Task): number {
  const { duration, tier } = task.request;
  if (task.provider === 'preview') return Math.max(5, duration * 2);
  return UPSTREAM_BASE_SECONDS + duration * SECONDS_PER_VIDEO_SECOND[tier];
}
