import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "../api/client";

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** fetch again (after a change); keeps showing the old data meanwhile */
  reload(): void;
}

/**
 * GET a path (null: nothing yet) and keep its answer; a new path cancels the old request.
 * `load` replaces the GET when a page needs several calls for one view.
 */
export function useApi<T>(path: string | null, load?: (signal: AbortSignal) => Promise<T>): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const loader = useRef(load);
  loader.current = load;
  useEffect(() => {
    if (path === null) {
      setLoading(false);
      return;
    }
    const ctl = new AbortController();
    setLoading(true);
    const run = loader.current ? loader.current(ctl.signal) : api.get<T>(path, { signal: ctl.signal });
    run.then(
      (value) => {
        if (ctl.signal.aborted) return;
        setData(value);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (ctl.signal.aborted || (err as Error)?.name === "AbortError") return;
        setError(err);
        setLoading(false);
      },
    );
    return () => ctl.abort();
  }, [path, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, loading, reload };
}

/** Runs `fn` over `items` with at most `limit` at a time, answers in order. */
export async function inBatches<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
