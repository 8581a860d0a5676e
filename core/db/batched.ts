import DataLoader from "dataloader";

/**
 * Reads that arrive together become one statement: the keys asked for in one turn of the event loop
 * (every request whose bytes arrived in it, every caller a commit just answered) are handed to
 * `load` at once, at most 100 a statement. Never cached: each read sees the database as it is when
 * its statement runs. `load` answers in the order of the keys it was given (null where none).
 */
export function batchedReads<K, V>(load: (keys: readonly K[]) => Promise<Array<V | null>>): DataLoader<K, V | null> {
  return new DataLoader<K, V | null>(load, { cache: false, maxBatchSize: 100, batchScheduleFn: (run) => void setImmediate(run) });
}
