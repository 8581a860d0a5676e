import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { Middleware } from "moleculer";

/** What every log line made while serving one request carries (./log.ts reads it). */
export interface TraceFields {
  /** the request id: Moleculer's ctx.requestID, which travels with every call and event to other nodes */
  traceId: string;
  tenant?: string;
  userId?: string;
}

export const traceStore = new AsyncLocalStorage<TraceFields>();

/** The fields of the request being served here, if any. */
export const currentTrace = (): TraceFields | undefined => traceStore.getStore();

/**
 * A caller may send its own X-Request-Id (a proxy's, to follow one request through both logs);
 * anything that could forge or break a log line (control characters, quotes, a novel) is replaced.
 */
const SAFE_ID = /^[A-Za-z0-9._:-]{8,128}$/;
export const requestIdFrom = (header: unknown): string => (typeof header === "string" && SAFE_ID.test(header) ? header : randomUUID());

type Ctx = { requestID?: string | null; id?: string; meta?: { user?: { id?: string; tenantCode?: string } | null } };

function fieldsOf(ctx: Ctx): TraceFields {
  const user = ctx.meta?.user;
  return { traceId: ctx.requestID ?? ctx.id ?? "-", ...(user?.tenantCode ? { tenant: user.tenantCode } : {}), ...(user?.id ? { userId: String(user.id) } : {}) };
}

/**
 * Outermost middleware: a local action or event runs inside its request's trace fields, so that
 * every log line it (and what it awaits) writes says which request, tenant and user it was for,
 * on whichever node it runs.
 */
export function traceMiddleware(): Middleware {
  const wrap = (next: (ctx: Ctx) => unknown) =>
    function traced(ctx: Ctx) {
      return traceStore.run(fieldsOf(ctx), () => next(ctx));
    };
  return { name: "Trace", localAction: wrap, localEvent: wrap } as unknown as Middleware;
}

/** The gateway learns who calls only after the request started: it fills that in here. */
export function noteCaller(user: { id?: string; tenantCode?: string } | null | undefined): void {
  const store = traceStore.getStore();
  if (!store || !user) return;
  if (user.tenantCode) store.tenant = user.tenantCode;
  if (user.id) store.userId = String(user.id);
}

/** Runs `fn` with the trace fields of `ctx` (the broker's error handler runs outside the action's own). */
export function withTraceOf<T>(ctx: unknown, fn: () => T): T {
  return ctx && typeof ctx === "object" ? traceStore.run(fieldsOf(ctx as Ctx), fn) : fn();
}
