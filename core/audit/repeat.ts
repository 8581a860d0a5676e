/**
 * The chain's upkeep on a timer (sealing, anchoring): one round at a time on this node (a round
 * asked for while one runs gets that one), the next `everyMs` after the last ended, never keeping
 * the process alive, stopped by waiting for the round in progress. `round` handles its own errors.
 */
export interface Repeating<T> {
  /** one round now (what the timer does) */
  tick(): Promise<T>;
  /** stops the timer and waits for a round in progress */
  stop(): Promise<void>;
}

export function repeatEvery<T>(everyMs: number, round: (stopping: () => boolean) => Promise<T>): Repeating<T> {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<T> | undefined;
  let stopped = false;
  const stopping = () => stopped;
  const tick = (): Promise<T> => {
    if (running) return running;
    running = round(stopping).finally(() => {
      running = undefined;
    });
    return running;
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void tick().then(schedule), everyMs);
    timer.unref();
  };
  schedule();
  return {
    tick,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
