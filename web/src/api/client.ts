/**
 * The one way the web app talks to /api: JSON in and out, the access token, the language of the
 * answer's messages, and the error envelope of DESIGN.md §7 turned into an ApiError.
 */
import { currentLang, type Localized } from "../i18n";

/** One problem with a field, as the server sends it: `path` is a JSON pointer into the submitted data. */
export interface FieldDetail {
  path: string;
  rule: string;
  message?: Localized;
  [extra: string]: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** the envelope's code (VALIDATION_FAILED, ACCOUNT_LOCKED, ...); NETWORK when nothing answered */
    readonly code: string,
    /** the server's message, in the language asked for */
    readonly serverMessage: string,
    /** field details of a VALIDATION_FAILED; empty otherwise */
    readonly details: FieldDetail[] = [],
    /** seconds, from Retry-After (429) */
    readonly retryAfter: number | null = null,
    /** details that are not field problems (MODULE_NOT_ENABLED's module and date, CONFLICT's version) */
    readonly extra: Record<string, unknown> | null = null,
  ) {
    super(`${status} ${code}: ${serverMessage}`);
    this.name = "ApiError";
  }
}

/** What the client needs of the signed-in session, set by auth/session.ts. */
export interface TokenSource {
  /** the access token to send, fresh (refreshed first when about to expire); null when signed out */
  token(): Promise<string | null>;
  /** the server said 401 to a token: try to renew it; true when a retry makes sense */
  renew(): Promise<boolean>;
}

let tokens: TokenSource | null = null;
export function useTokens(source: TokenSource | null): void {
  tokens = source;
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** send the access token (default true); sign-in and refresh send none */
  auth?: boolean;
  /** an Idempotency-Key: a write the client may send again answers as the first one did */
  idempotencyKey?: string;
}

function isFieldDetail(d: unknown): d is FieldDetail {
  return !!d && typeof d === "object" && typeof (d as FieldDetail).path === "string" && typeof (d as FieldDetail).rule === "string";
}

async function errorOf(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON (a proxy's page): the status says enough */
  }
  const env = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  const retry = Number(res.headers.get("retry-after"));
  const details = Array.isArray(env?.details) ? env!.details.filter(isFieldDetail) : [];
  const extra = env?.details && !Array.isArray(env.details) && typeof env.details === "object" ? (env.details as Record<string, unknown>) : null;
  return new ApiError(
    res.status,
    typeof env?.code === "string" ? env.code : res.status >= 500 ? "UNAVAILABLE" : "INTERNAL_ERROR",
    typeof env?.message === "string" ? env.message : res.statusText,
    details,
    Number.isFinite(retry) && retry > 0 ? retry : null,
    extra,
  );
}

/** pauses before a read answered 503 is asked again */
const READ_RETRIES = [400, 1200];
const MAX_RETRY_WAIT_MS = 5000;

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new DOMException("aborted", "AbortError"));
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(new DOMException("aborted", "AbortError"));
      },
      { once: true },
    );
  });
}

export async function request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  const send = async (): Promise<Response> => {
    const headers: Record<string, string> = { accept: "application/json", "accept-language": currentLang() };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (opts.idempotencyKey) headers["idempotency-key"] = opts.idempotencyKey;
    if (opts.auth !== false && tokens) {
      const token = await tokens.token();
      if (token) headers.authorization = `Bearer ${token}`;
    }
    try {
      return await fetch(`/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: opts.signal });
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      throw new ApiError(0, "NETWORK", (err as Error).message);
    }
  };
  let res = await send();
  // An access token refused (expired in a sleeping tab, a clock off): renew once and try again.
  if (res.status === 401 && opts.auth !== false && tokens && (await tokens.renew())) res = await send();
  // A read answered 503 (a node draining, the database pool full for a moment) is asked again, twice at
  // most, after the server's Retry-After or a short pause: a page should not show an error for a blip.
  // Writes are not repeated here; one with an Idempotency-Key may be sent again by its caller.
  for (let attempt = 0; res.status === 503 && method === "GET" && attempt < READ_RETRIES.length; attempt++) {
    const after = Number(res.headers.get("retry-after"));
    await pause(Number.isFinite(after) && after > 0 ? Math.min(after * 1000, MAX_RETRY_WAIT_MS) : READ_RETRIES[attempt], opts.signal);
    res = await send();
  }
  if (!res.ok) throw await errorOf(res);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const api = {
  get: <T>(path: string, opts?: RequestOptions) => request<T>("GET", path, undefined, opts),
  post: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>("POST", path, body ?? {}, opts),
  put: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>("PUT", path, body ?? {}, opts),
  delete: <T>(path: string, opts?: RequestOptions) => request<T>("DELETE", path, undefined, opts),
};

/** A query string from the values that are set. */
export function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "" && v !== false) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}
