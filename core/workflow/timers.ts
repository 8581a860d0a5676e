import type { WorkflowEngine } from "./engine";

/**
 * Every node looks for due deadlines every `everyMs` (the engine claims each timer row with SKIP
 * LOCKED, so nodes never fire the same one twice). A round still running when the next is due is
 * not doubled.
 */
export function startDeadlines(engine: WorkflowEngine, opts: { node: string; everyMs: number; log: (line: string) => void }): { stop(): Promise<void>; tick(): Promise<number> } {
  let running: Promise<number> | null = null;
  let stopped = false;
  const tick = (): Promise<number> => {
    if (running) return running;
    running = engine
      .fireDue(opts.node, 100)
      .catch((err: Error) => {
        if (!stopped) opts.log(`[workflow] deadlines: ${err.message}`);
        return 0;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };
  const timer = setInterval(() => void tick(), opts.everyMs);
  timer.unref();
  return {
    tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
