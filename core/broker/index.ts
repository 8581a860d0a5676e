import { ServiceBroker, type BrokerOptions, type Middleware } from "moleculer";
import { nodeIdOf, type KernelConfig } from "../config";
import { settleError } from "./middlewares";
import { inFlight } from "./in-flight";
import { AnsweringRoundRobin, PromptDiscoverer } from "./liveness";
import { platform } from "../platform";

/**
 * One factory for every node: in-process when NATS_URL is unset, NATS otherwise.
 *
 * In a cluster a node can vanish: every call gets REQUEST_TIMEOUT_MS; a node that misses two
 * heartbeats gets no new calls while another can take them, and one silent for HEARTBEAT_TIMEOUT_MS
 * is taken for dead, what is pending on it rejected (liveness.ts); a node that keeps failing is cut
 * off by the circuit breaker; and reads (switched on per action by the kernel; a retried create
 * could create twice) are retried on another node. A single process has no other node
 * for any of these to act on, so there they are off: the gateway still gives every HTTP call
 * REQUEST_TIMEOUT_MS, and the calls a handler makes inherit what is left of it. Draining
 * requests in flight on stop is on everywhere.
 *
 * `middlewares` are listed outermost first, the way a request meets them.
 */
export function createBroker(cfg: KernelConfig, middlewares: Middleware[], options: Partial<BrokerOptions> & { inFlight?: false } = {}): ServiceBroker {
  const clustered = isClustered(cfg);
  // inFlight: false leaves graceful stop out (only the benchmark that measures what it costs asks)
  const { inFlight: keepInFlight, ...extra } = options;
  return new ServiceBroker({
    namespace: platform.id,
    nodeID: nodeIdOf(cfg),
    // The NATS client pings its server as often as the heartbeat timeout: a node cut off from NATS
    // finds out (and reconnects) in two of those rather than in the client's default 4 minutes.
    transporter: cfg.natsUrl ? { type: "NATS", options: { url: cfg.natsUrl, pingInterval: cfg.heartbeatTimeoutMs, maxPingOut: 2 } } : undefined,
    serializer: "JSON",
    requestTimeout: clustered ? cfg.requestTimeoutMs : 0,
    retryPolicy: {
      enabled: false,
      retries: 2,
      delay: 100,
      maxDelay: 1000,
      factor: 2,
      // A timed-out attempt has used the caller's whole REQUEST_TIMEOUT_MS: each retry would get
      // a fresh timeout, so a read to a killed node took (retries + 1) × the timeout instead of
      // answering UNAVAILABLE when it ran out (test/cluster/gateway-and-registries.test.ts).
      check: (err: Error & { retryable?: boolean; type?: string }) => !!err.retryable && err.type !== "REQUEST_TIMEOUT",
    },
    circuitBreaker: {
      enabled: clustered,
      threshold: 0.5,
      minRequestCount: 20,
      windowTime: 60,
      halfOpenTime: 10 * 1000,
      // Only server-side failures count; a refused or invalid request says nothing about the node.
      check: (err: Error & { code?: number }) => !!err && typeof err.code === "number" && err.code >= 500,
    },
    // Graceful stop: wait for in-flight requests before leaving the cluster: the InFlight
    // middleware below does it, cheaper a call than Moleculer's own tracking (in-flight.ts).
    tracking: { enabled: false },
    heartbeatInterval: cfg.heartbeatIntervalMs / 1000,
    heartbeatTimeout: cfg.heartbeatTimeoutMs / 1000,
    registry: {
      strategy: AnsweringRoundRobin,
      strategyOptions: { intervalMs: cfg.heartbeatIntervalMs },
      preferLocal: true,
      discoverer: new PromptDiscoverer({ intervalMs: cfg.heartbeatIntervalMs, timeoutMs: cfg.heartbeatTimeoutMs }),
    },
    logger: { type: "Console", options: { level: cfg.logLevel, formatter: "short", colors: process.stdout.isTTY, moduleColors: false } },
    errorHandler: settleError,
    // Moleculer wraps the first-registered middleware innermost: hand them over in reverse.
    middlewares: [...(keepInFlight === false ? [] : [inFlight(cfg.shutdownTimeoutMs)]), ...middlewares].reverse(),
    // The kernel owns the process's signals: it drains the broker, then closes the database.
    // (Moleculer's own handlers would exit the process as soon as the broker stops.)
    skipProcessEventRegistration: true,
    ...extra,
  });
}

/** Whether this node talks to others (and so needs timeouts, retries and a circuit breaker). */
export const isClustered = (cfg: KernelConfig) => !!cfg.natsUrl;
