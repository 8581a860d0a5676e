import http, { type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { timingSafeEqual } from "node:crypto";
import type { Metrics } from "./metrics";

/** What /health/ready reads: each must be true for a load balancer to send this node requests. */
export interface Readiness {
  /** every check by name; all true = ready */
  checks(): Promise<Record<string, boolean>>;
}

export interface OpsDeps {
  metrics?: Metrics;
  metricsToken?: string;
  readiness: Readiness;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" });
  res.end(JSON.stringify(body));
};

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  if (!m) return false;
  const a = Buffer.from(m[1]);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The operator's routes, outside /api (no session, no module gate, not in the OpenAPI):
 * GET /metrics (Prometheus text), GET /health/live (the process answers), GET /health/ready (it can
 * serve: database, transporter, migrations, not stopping). Returns false for any other request.
 */
export function serveOps(deps: OpsDeps, req: IncomingMessage, res: ServerResponse): boolean {
  const path = (req.url ?? "/").split("?")[0];
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  if (path === "/health/live") {
    json(res, 200, { status: "live" });
    return true;
  }
  if (path === "/health/ready") {
    void deps.readiness.checks().then(
      (checks) => {
        const ready = Object.values(checks).every(Boolean);
        json(res, ready ? 200 : 503, { status: ready ? "ready" : "not-ready", checks });
      },
      () => json(res, 503, { status: "not-ready", checks: {} }),
    );
    return true;
  }
  if (path === "/metrics" && deps.metrics) {
    if (deps.metricsToken && !tokenMatches(req.headers.authorization, deps.metricsToken)) {
      res.setHeader("WWW-Authenticate", 'Bearer realm="metrics"');
      json(res, 401, { error: { code: "UNAUTHENTICATED", message: "METRICS_TOKEN required" } });
      return true;
    }
    const metrics = deps.metrics;
    void metrics.text().then(
      (text) => {
        res.writeHead(200, { "Content-Type": metrics.contentType, "Cache-Control": "no-store" });
        res.end(text);
      },
      () => json(res, 500, { error: { code: "INTERNAL_ERROR", message: "metrics collection failed" } }),
    );
    return true;
  }
  return false;
}

/** METRICS_PORT: the same routes on a port of their own, on every node (one with no gateway too). */
export async function startOpsServer(deps: OpsDeps, host: string, port: number): Promise<Server> {
  const server = http.createServer((req, res) => {
    if (!serveOps(deps, req, res)) json(res, 404, { error: { code: "NOT_FOUND", message: "Not found" } });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
