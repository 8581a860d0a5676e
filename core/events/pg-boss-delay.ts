/**
 * pg-boss's `delay` (node_modules/pg-boss/src/tools.js) loads node:timers/promises on every call. After
 * `stop`, pg-boss leaves a loop behind that calls it once a second until its workers are gone; when that
 * load comes after jest has torn a test file down it throws outside any test and ends the whole run.
 * The same function, with the module loaded once, is put in its place before pg-boss's own files take
 * it (they read `delay` when they load: import this before "pg-boss").
 */
import { setTimeout as wait } from "node:timers/promises";

type AbortableDelay = Promise<void> & { abort: () => void };

function delay(ms: number, error?: string): AbortableDelay {
  const ac = new AbortController();
  const promise = new Promise<void>((resolve, reject) => {
    wait(ms, null, { signal: ac.signal })
      .then(() => (error ? reject(new Error(error)) : resolve()))
      .catch(() => resolve());
  }) as AbortableDelay;
  promise.abort = () => {
    if (!ac.signal.aborted) ac.abort();
  };
  return promise;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
(require("pg-boss/src/tools") as { delay: typeof delay }).delay = delay;
