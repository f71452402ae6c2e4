/** SIGTERM/SIGINT: close once (a second signal while closing is ignored), then exit 0, or 1 if closing failed. */
export function closeOnSignals(announce: (signal: string) => void, close: () => Promise<void>): void {
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    announce(signal);
    close().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error('shutdown failed:', e);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
