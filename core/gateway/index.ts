import fs from "node:fs";
import path from "node:path";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import ApiGateway from "moleculer-web";
import type { ServiceSchema } from "moleculer";
import { PlatformError, toEnvelope, pickLang } from "../errors";
import { UNAVAILABLE } from "../broker/middlewares";
import type { Kernel } from "../kernel";
import type { PlatformContext, PlatformServiceSchema } from "../plugins/types";
import { SECURITY_HEADERS } from "./headers";
import { socketsMixin } from "./sockets";
import { checkRequestInput } from "./input";
import { restRoutes } from "./openapi/routes";
import { openApiRoutes } from "./openapi/docs";
import { serveOps } from "../observability/http";
import { noteCaller, requestIdFrom } from "../observability/trace";

type Req = IncomingMessage & { $ctx?: PlatformContext & { requestID?: string | null }; query?: Record<string, string>; $params?: unknown };

/** Input no action can take (NUL, lone surrogates, deep nesting, repeated parameters) stops here: ./input.ts. */
function onBeforeCall(_ctx: unknown, _route: unknown, req: Req) {
  checkRequestInput(req.query, req.$params);
}

/**
 * The HTTP side of a node: every plugin action that declares `rest` becomes
 * /api/<plugin><path>. Routes come from the manifests, not from the services that happen to be
 * up, so a route whose plugin node is down answers 503 UNAVAILABLE instead of 404.
 */
export function apiAliases(kernel: Pick<Kernel, "registry" | "coreServices">, which: "json" | "upload" = "json", own: PlatformServiceSchema[] = []): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const r of restRoutes(kernel, own)) {
    if (!!r.schema.stream === (which === "upload")) aliases[`${r.method} ${r.path}`] = `${r.schema.stream ? "stream:" : ""}${r.action}`;
  }
  return aliases;
}

/** Who is calling, for rate limits and the audit log. */
function clientOf(req: Req, trustProxy: boolean): { ip?: string; userAgent?: string } {
  const forwarded = trustProxy ? String(req.headers["x-forwarded-for"] ?? "").split(",")[0].trim() : "";
  return { ip: forwarded || req.socket.remoteAddress || undefined, userAgent: req.headers["user-agent"] };
}

const sessionEnded = () =>
  new PlatformError("UNAUTHENTICATED", { "zh-CN": "登录已失效，请重新登录", en: "The session has ended; sign in again" });

function sendEnvelope(req: Req, res: ServerResponse, err: unknown, logger: { error: (...a: unknown[]) => void }) {
  const lang = pickLang(req.headers["accept-language"] as string | undefined, req.query?.lang);
  // The envelope stays DESIGN.md §7's; the trace id to quote to an operator is the X-Request-ID
  // header, which moleculer-web set on this answer before routing (core/observability/README.md).
  const { status, body } = toEnvelope(err, lang);
  // An INTERNAL_ERROR was logged, with its stack, by settleError on the node where it happened;
  // what reaches here unsettled (a failure in the gateway itself) is logged here.
  if (status >= 500 && status !== 503 && (err as { type?: string } | undefined)?.type !== "INTERNAL_ERROR") logger.error("request failed:", err);
  if (res.headersSent) {
    res.end();
    return;
  }
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Cache-Control", "no-store");
  const retryAfter = (body.error.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
  if ((status === 429 || status === 503) && retryAfter) res.setHeader("Retry-After", String(retryAfter));
  if (!req.complete && !lingerOverUnreadBody(req)) res.setHeader("Connection", "close");
  res.writeHead(status);
  res.end(JSON.stringify(body));
}

/** How long an early answer waits for the rest of the body it refused: in all, and between two pieces. */
const LINGER_MS = { total: 30_000, idle: 5_000 };

/**
 * Answered before the request body was read to its end (too large, a refused upload). Closing now
 * would leave the client's bytes still in flight unread, and the kernel answers those with a reset
 * that can destroy our answer in the client's buffers before it is read: a browser then shows a
 * network error instead of the message. So the rest of the body is read and thrown away, as web
 * servers' lingering close does, and the connection stays usable; a body that goes on past
 * LINGER_MS (in all, or silent between pieces) is cut, by when the client has had the answer.
 * Says whether it could.
 */
function lingerOverUnreadBody(req: Req): boolean {
  const socket = req.socket;
  // A request stream already destroyed (an upload pipeline that failed destroys its source) can no
  // longer be read: Node stops reading its socket, so this connection can only be closed, with the
  // reset that risks. So can one the client has left.
  if (req.destroyed || !socket || socket.destroyed) return false;
  let idle: NodeJS.Timeout | undefined;
  const stop = () => {
    clearTimeout(total);
    clearTimeout(idle);
    req.off("data", quiet);
  };
  const cut = () => {
    stop();
    if (!req.complete) socket.destroy();
  };
  const quiet = () => {
    clearTimeout(idle);
    idle = setTimeout(cut, LINGER_MS.idle).unref();
  };
  const total = setTimeout(cut, LINGER_MS.total).unref();
  quiet();
  req.on("data", quiet);
  req.once("end", stop);
  req.once("close", stop);
  // The upload route may have stopped reading (unpiped, paused) when it refused: draining resumes it.
  req.unpipe();
  req.resume();
  return true;
}

/**
 * What a missing file looks like, as opposed to a page of the app: a name the build or a browser
 * asks for by itself. A page path may contain a dot (/start/supervision.intention: workflow ids do).
 */
const FILE_PATH = /^\/assets\/|\.(js|mjs|css|map|json|txt|xml|html?|ico|png|jpe?g|gif|svg|webp|avif|woff2?|ttf|otf|webmanifest)$/i;

/**
 * Requests Node's HTTP parser refuses before moleculer-web sees them (headers or URL past Node's
 * 16 KiB, bytes that are not HTTP) are answered in the envelope too, rather than with Node's bare
 * status line; the connection is then closed, as Node closes it. (No header was read, so zh-CN.)
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex) {
  if (!socket.writable || err.code === "ECONNRESET") {
    socket.destroy();
    return;
  }
  if (err.code === "ERR_HTTP_REQUEST_TIMEOUT") {
    socket.end("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n");
    return;
  }
  const tooLarge = err.code === "HPE_HEADER_OVERFLOW";
  const { body } = toEnvelope(
    new PlatformError(tooLarge ? "PAYLOAD_TOO_LARGE" : "VALIDATION_FAILED", tooLarge
      ? { "zh-CN": "请求头或网址过长", en: "The request's headers or URL are too long" }
      : { "zh-CN": "请求不是有效的 HTTP 请求", en: "The request is not valid HTTP" }),
    "zh-CN",
  );
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${tooLarge ? "431 Request Header Fields Too Large" : "400 Bad Request"}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${text}`,
  );
}

/**
 * One line a request, when it ends: route pattern (never the URL, which may carry a name or a
 * code), status, time, and the trace fields; and its time in the metrics.
 */
function accessLog(kernel: Kernel, req: Req & { $alias?: { fullPath?: string } }, res: ServerResponse) {
  const t0 = process.hrtime.bigint();
  kernel.metrics?.observeHttp(req, res);
  res.once("finish", () => {
    const ctx = req.$ctx;
    const user = ctx?.meta?.user;
    const route = req.$alias?.fullPath ?? (req.url?.startsWith("/api") ? "api-unmatched" : "static");
    kernel.tracing?.endHttp(req, route, res.statusCode);
    kernel.logger.info(
      {
        traceId: ctx?.requestID ?? undefined,
        tenant: user?.tenantCode,
        userId: user?.id,
        http: { method: req.method, route, status: res.statusCode, ms: Number(process.hrtime.bigint() - t0) / 1e6 },
      },
      "request",
    );
  });
}

/** Requests to the API, which take part in the in-flight bound; the health check is not one of them. */
const API_REQUEST = /^\/api(\/|$|\?)/;
const HEALTH_REQUEST = /^\/api\/health(\/|$|\?)/;

export function gatewayService(kernel: Kernel): ServiceSchema {
  const { config } = kernel;
  const built = path.join(config.webDir, "dist");
  const webFolder = fs.existsSync(path.join(built, "index.html")) ? built : path.join(config.webDir, "public");
  /** API requests this node holds now (see httpHandler) */
  let inFlight = 0;
  // The gateway's own actions, routed and described like every other (./openapi/routes.ts)
  const own: PlatformServiceSchema = {
    name: "gateway",
    actions: {
      health: {
        rest: "GET /health",
        kind: "read",
        permission: "public",
        async handler(ctx: PlatformContext) {
          const dbUp = await kernel.db.ping(2000);
          const nodes = ((ctx.broker.registry as unknown as { getNodeList(o: object): Array<{ id: string }> }).getNodeList({ onlyAvailable: true, withServices: false }) as Array<{ id: string }>)
            .map((n) => n.id)
            .sort();
          const running = kernel.runningPlugins();
          if (!dbUp) ctx.meta.$statusCode = 503;
          return {
            status: dbUp ? "ok" : "unavailable",
            node: ctx.broker.nodeID,
            nodes,
            plugins: kernel.registry.names().map((name) => ({ name, available: running.has(name) })),
            database: { status: dbUp ? "up" : "down", kind: kernel.db.kind, where: kernel.db.where },
            transporter: config.natsUrl
              ? { type: "NATS", connected: !!ctx.broker.transit?.connected }
              : { type: "in-process", connected: true },
          };
        },
      },
      plugins: {
        rest: "GET /plugins",
        kind: "read",
        permission: "public",
        handler() {
          const running = kernel.runningPlugins();
          return kernel.registry.plugins.map(({ manifest: m }) => ({
            name: m.name,
            title: m.title,
            version: m.version,
            description: m.description,
            dependsOn: m.dependsOn ?? [],
            extensionPoints: Object.entries(m.extensionPoints ?? {}).map(([key, p]) => ({
              id: `${m.name}.${key}`,
              title: p.title,
              kind: p.kind,
              contributors: kernel.registry.contributions(`${m.name}.${key}`).map((c) => c.plugin),
            })),
            extends: Object.keys(m.extends ?? {}),
            nodes: running.get(m.name) ?? [],
          }));
        },
      },
    },
  };
  return {
    name: "gateway",
    // socket.io on the same port (sockets.ts); listed first so that it closes before the server does
    mixins: [socketsMixin(kernel), ApiGateway],
    settings: {
      port: config.port,
      ip: config.host,
      log4XXResponses: false,
      // X-Request-Id from a proxy is kept when it is a plausible id; otherwise one is made (the trace id)
      // With OpenTelemetry on, the request id is the trace's id (itself from a caller's traceparent).
      rootCallOptions(options: { requestID?: string }, req: Req) {
        options.requestID = kernel.tracing?.activeTraceId() ?? requestIdFrom(req.headers["x-request-id"] ?? req.headers["x-correlation-id"]);
      },
      logRequest: "debug",
      logResponse: "debug",
      routes: [
        {
          // Uploads (CSV imports): the body reaches the action as a stream, and a file of 100,000
          // rows takes longer than an ordinary call may.
          name: "uploads",
          path: "/api",
          authentication: true,
          mappingPolicy: "restrict",
          autoAliases: false,
          callOptions: { timeout: config.uploadTimeoutMs },
          bodyParsers: { json: false, urlencoded: false },
          onBeforeCall,
          aliases: apiAliases(kernel, "upload", [own]),
        },
        {
          name: "api",
          path: "/api",
          authentication: true,
          mappingPolicy: "restrict",
          autoAliases: false,
          callOptions: { timeout: config.requestTimeoutMs },
          bodyParsers: {
            json: { strict: true, limit: config.bodyLimit },
            urlencoded: false,
          },
          onBeforeCall,
          aliases: {
            ...apiAliases(kernel, "json", [own]),
            // the description of these routes and its page (./openapi/)
            ...openApiRoutes(kernel, [own], (line) => kernel.broker.logger.info(line)),
          },
        },
      ],
      assets: { folder: webFolder, options: { index: "index.html" } },
      onError(this: { logger: { error: (...a: unknown[]) => void } }, req: Req, res: ServerResponse, err: unknown) {
        sendEnvelope(req, res, err, this.logger);
      },
    },
    // moleculer-web made its server in its own `created`, which Moleculer runs before this one
    created(this: { server?: Server }) {
      this.server?.on("clientError", answerClientError);
    },
    methods: {
      /**
       * The web app's pages (/instances/<id>, /admin, ...) are routes of the app, not files: a GET for
       * a page path that is neither an API route nor a built file gets the app's index.html, which
       * then shows the page. API paths, socket.io and missing files (a name with an extension) keep
       * their 404.
       */
      send404(this: { sendError: (req: Req, res: ServerResponse, err: unknown) => void }, req: Req & { originalUrl?: string }, res: ServerResponse) {
        // moleculer-web cuts a matched route's prefix off req.url; the path asked for is originalUrl
        const url = (req.originalUrl ?? req.url ?? "/").split("?")[0];
        const page = (req.method === "GET" || req.method === "HEAD") && !/^\/(api|socket\.io)(\/|$)/.test(url) && !FILE_PATH.test(url);
        const index = path.join(webFolder, "index.html");
        if (!page || webFolder !== built || !fs.existsSync(index)) return (ApiGateway.methods!.send404 as (req: Req, res: ServerResponse) => void).call(this, req, res);
        res.setHeader("Content-Type", "text/html; charset=utf-8");
        res.setHeader("Cache-Control", "no-cache");
        res.writeHead(200);
        res.end(req.method === "HEAD" ? undefined : fs.readFileSync(index));
      },
      /** Every answer (routed, static, fallback, error) passes here first: the security headers. */
      httpHandler(this: unknown, req: Req, res: ServerResponse, next?: unknown) {
        for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
        // /metrics here unless METRICS_PORT serves it apart; /health/live and /health/ready always
        if (serveOps({ metrics: config.metricsPort === undefined ? kernel.metrics : undefined, metricsToken: config.metricsToken, readiness: kernel.readiness }, req, res)) return;
        accessLog(kernel, req, res);
        // A bounded queue: the API requests this node holds (running, or waiting for a database
        // connection) are at most API_MAX_IN_FLIGHT; one more is answered 503 with Retry-After at
        // once, rather than after the pool's acquire timeout, when it might have been done already.
        // The health check is always answered.
        if (API_REQUEST.test(req.url ?? "") && !HEALTH_REQUEST.test(req.url ?? "")) {
          if (inFlight >= config.apiMaxInFlight) return sendEnvelope(req, res, UNAVAILABLE.overloaded(), kernel.broker.logger);
          inFlight++;
          res.once("close", () => inFlight--);
        }
        const handle = () => (ApiGateway.methods!.httpHandler as (req: Req, res: ServerResponse, next?: unknown) => Promise<void>).call(this, req, res, next);
        return kernel.tracing ? kernel.tracing.http(req, handle) : handle();
      },
      /**
       * A valid signature is not enough: the token's session must still be open (not signed out,
       * not ended by a password change, a reset or a disabled account).
       */
      async authenticate(ctx: PlatformContext, _route: unknown, req: Req) {
        ctx.meta.client = clientOf(req, config.trustProxy);
        // A client's key for a write it may send again (core/workflow/README.md, "Idempotency-Key")
        if (req.headers["idempotency-key"] !== undefined) ctx.meta.idempotencyKey = req.headers["idempotency-key"];
        // A download's range and its language for a 416 (core/files/service.ts), which no action reads from params
        if (req.headers.range !== undefined) ctx.meta.download = { range: req.headers.range, ifRange: req.headers["if-range"], acceptLanguage: req.headers["accept-language"] };
        const header = req.headers.authorization;
        if (!header) return null;
        const m = /^Bearer\s+(\S+)$/i.exec(header);
        const user = await kernel.identity.tokens.verify(m ? m[1] : ""); // throws UNAUTHENTICATED
        if (!(await kernel.identity.sessions.isActive(user))) throw sessionEnded();
        noteCaller(user);
        return user;
      },
    },
    actions: own.actions,
  } as ServiceSchema;
}
