import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from "@opentelemetry/api";
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import type { Knex } from "knex";
import type { Middleware } from "moleculer";

/**
 * OpenTelemetry traces, exported over OTLP/HTTP only when OTEL_EXPORTER_OTLP_ENDPOINT is set. Off,
 * nothing of the SDK is loaded and no middleware or listener is added: the API alone answers with
 * no-op spans. On: one trace a request, from the gateway's HTTP span through every action (on this
 * node or another: the context travels in the call's meta, over NATS) to each database query.
 */
export interface Tracing {
  /** spans of the HTTP request: the gateway runs moleculer-web inside it */
  http<T>(req: IncomingMessage, run: () => T): T;
  /** ends the request's span, named by its route pattern */
  endHttp(req: IncomingMessage, route: string, status: number): void;
  middleware(): Middleware;
  /** a span for each query this pool runs */
  watch(knex: Knex): void;
  /** the trace id of the active span: the request id the gateway gives the call, so logs carry it */
  activeTraceId(): string | undefined;
  shutdown(): Promise<void>;
}

const META_KEY = "$otel";
const SPAN = Symbol("otel-span");

export function startTracing(opts: { endpoint: string; serviceName: string; node: string }): Tracing {
  // loaded here so that a node without an endpoint never loads the SDK
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { NodeTracerProvider, BatchSpanProcessor } = require("@opentelemetry/sdk-trace-node") as typeof import("@opentelemetry/sdk-trace-node");
  const { OTLPTraceExporter } = require("@opentelemetry/exporter-trace-otlp-http") as typeof import("@opentelemetry/exporter-trace-otlp-http");
  const { resourceFromAttributes } = require("@opentelemetry/resources") as typeof import("@opentelemetry/resources");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const url = `${opts.endpoint.replace(/\/+$/, "")}/v1/traces`;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": opts.serviceName, "service.instance.id": opts.node }),
    // our own agent: the exporter's default one is made with a dynamic import(), which a CommonJS
    // sandbox (jest's) cannot run
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url, httpAgentOptions: (protocol: string) => (protocol === "https:" ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true })) }), { scheduledDelayMillis: 1000 })],
  });
  // the AsyncLocalStorage context manager and the W3C traceparent propagator
  provider.register();
  const tracer = provider.getTracer(opts.serviceName);
  type Held = IncomingMessage & { [SPAN]?: Span };

  return {
    http(req, run) {
      const parent = propagation.extract(context.active(), req.headers);
      const span = tracer.startSpan(`${req.method} request`, { kind: SpanKind.SERVER, attributes: { "http.request.method": req.method ?? "GET" } }, parent);
      (req as Held)[SPAN] = span;
      return context.with(trace.setSpan(parent, span), run);
    },
    endHttp(req, route, status) {
      const span = (req as Held)[SPAN];
      if (!span) return;
      span.updateName(`${req.method} ${route}`);
      span.setAttributes({ "http.route": route, "http.response.status_code": status });
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
    middleware() {
      return {
        name: "OtelTracing",
        localAction(next: (ctx: TracedCtx) => Promise<unknown>, action: { name: string }) {
          return function traced(ctx: TracedCtx) {
            // a call from another node brings its context in meta; a local one has it active already
            const carrier = ctx.meta?.[META_KEY];
            const parent = carrier ? propagation.extract(context.active(), carrier) : context.active();
            const span = tracer.startSpan(action.name, { kind: carrier ? SpanKind.SERVER : SpanKind.INTERNAL, attributes: { "rpc.system": "moleculer", "rpc.method": action.name, "moleculer.node": ctx.nodeID ?? opts.node } }, parent);
            const active = trace.setSpan(parent, span);
            // what this action calls (here or on another node) continues the trace
            const out: Record<string, string> = {};
            propagation.inject(active, out);
            if (ctx.meta) ctx.meta[META_KEY] = out;
            return context.with(active, () => next(ctx)).then(
              (v) => {
                span.end();
                return v;
              },
              (err: { type?: string; message?: string }) => {
                span.setStatus({ code: SpanStatusCode.ERROR, message: err?.type ?? err?.message });
                span.end();
                throw err;
              },
            );
          };
        },
      } as unknown as Middleware;
    },
    watch(knex) {
      const open = new Map<string, Span>();
      knex.on("query", (q: { __knexQueryUid: string; sql: string; method?: string }) => {
        if (!trace.getActiveSpan()) return;
        // the statement without its bindings: values (a password's hash, an uploaded document) never leave
        open.set(q.__knexQueryUid, tracer.startSpan(`db ${q.method ?? "query"}`, { kind: SpanKind.CLIENT, attributes: { "db.system": "postgresql", "db.statement": q.sql.slice(0, 2000) } }));
      });
      const end = (failed: boolean) => (_r: unknown, q: { __knexQueryUid: string }) => {
        const span = open.get(q.__knexQueryUid);
        if (!span) return;
        open.delete(q.__knexQueryUid);
        if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      };
      knex.on("query-response", end(false));
      knex.on("query-error", (_err: unknown, q: { __knexQueryUid: string }) => end(true)(undefined, q));
    },
    activeTraceId() {
      return trace.getActiveSpan()?.spanContext().traceId;
    },
    async shutdown() {
      await provider.shutdown();
    },
  };
}

type TracedCtx = { nodeID?: string; meta?: Record<string, unknown> & { [META_KEY]?: Record<string, string> } };
