/** What a test reads of an HTTP answer: status, body (JSON when it is), and when it was asked and answered. */
export interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  sentAt: number;
  receivedAt: number;
}

export interface Call {
  method?: string;
  token?: string;
  body?: unknown;
  /** a body sent as it is (CSV, broken JSON) */
  raw?: string | Buffer;
  headers?: Record<string, string>;
  /** how long to wait for the answer (default 30 s); a 65 MB upload on a loaded machine needs more */
  timeoutMs?: number;
}

/** One request to a platform node, as a browser or script would make it. */
export async function callApi(baseUrl: string, path: string, init: Call = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let body: string | Buffer | undefined = init.raw;
  if (init.body !== undefined) {
    headers["content-type"] ??= "application/json";
    body = JSON.stringify(init.body);
  }
  const sentAt = Date.now();
  // Never let a hanging node hang the suite: well past any answer a test accepts.
  const res = await fetch(baseUrl + path, { method: init.method ?? "GET", headers, body, signal: AbortSignal.timeout(init.timeoutMs ?? 30_000) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body: parsed, sentAt, receivedAt: Date.now() };
}

/** Asks again every 250 ms until `ok`, or fails after `timeoutMs` saying what it waited for and what it last saw. */
export async function poll<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000, context: () => string = () => ""): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = await fn();
      if (ok(last)) return last;
    } catch (err) {
      last = err as T;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs / 1000} s; last: ${JSON.stringify(last)}\n${context()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
