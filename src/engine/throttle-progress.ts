/**
 * Progress from a renderer arrives many times a second; the database needs a write only when the
 * whole percent changed and not more than every `minIntervalMs`.
 */
export function throttleProgress(write: (percent: number) => void, minIntervalMs: number, now: () => number = Date.now) {
  let last = -1;
  let lastAt = 0;
  return (percent: number): void => {
    const p = Math.max(0, Math.min(99, Math.floor(percent)));
    if (p <= last || now() - lastAt < minIntervalMs) return;
    last = p;
    lastAt = now();
    write(p);
  };
}
