import os from "node:os";
import path from "node:path";

/** Everything a node reads from its environment, in one place. */
export interface KernelConfig {
  rootDir: string;
  port: number;
  host: string;
  databaseUrl?: string;
  natsUrl?: string;
  /** null: run every plugin and the gateway */
  services: string[] | null;
  dataDir: string;
  embeddedPgPort: number;
  bodyLimit: string;
  requestTimeoutMs: number;
  /** how often a node of a cluster says it is alive (core/broker/liveness.ts) */
  heartbeatIntervalMs: number;
  /** how long a node may stay silent before the others take it for dead and reject what is pending on it */
  heartbeatTimeoutMs: number;
  /** how long an upload (a CSV import) may take */
  uploadTimeoutMs: number;
  /** how long a stop (SIGTERM) waits for requests in flight and socket.io clients before it closes anyway */
  shutdownTimeoutMs: number;
  /** on SIGTERM, how long the node keeps serving while /health/ready says not ready, so balancers stop sending before it closes */
  shutdownDelayMs: number;
  /** how long start-up waits for the transporter (NATS) before it gives up with one line */
  transporterConnectTimeoutMs: number;
  nodeId?: string;
  pluginsDir: string;
  /** PLUGIN_PATHS: plugins kept outside plugins/, each a plugin's folder or a folder of them */
  pluginPaths: string[];
  /** forms/<plugin>/: form schemas, uiSchemas and workflows */
  formsDir: string;
  /** how often a node looks for workflow deadlines that are due */
  deadlineCheckMs: number;
  /** how often the audit chain's head is anchored (written and logged) */
  auditAnchorEveryMs: number;
  /** connections this node keeps to PostgreSQL at most (core/db/index.ts) */
  dbPoolMax: number;
  /** API requests this node's gateway handles at once; beyond them, 503 with Retry-After (core/gateway/index.ts) */
  apiMaxInFlight: number;
  /** whether this node runs an outbox relay (nodes take turns; at least one must run one) */
  outboxRelay: boolean;
  /** how often the relay looks for unsent rows it was not told about */
  outboxPollMs: number;
  /** event queue (core/events/queue.ts): retries after a subscriber's first failure, then a dead letter */
  eventRetryLimit: number;
  /** seconds before the first retry, doubled for each next one */
  eventRetryDelaySeconds: number;
  /** seconds a try may take before it counts as failed (its node died) and is retried */
  eventExpireSeconds: number;
  /** how often the queue looks for tries that expired */
  queueMaintenanceSeconds: number;
  webDir: string;
  logLevel: string;
  /** "json" (one object a line, for a log shipper) or "text" (for a person at a terminal) */
  logFormat: "json" | "text";
  /** NODE_ENV=production: secrets must be given, not made up */
  production: boolean;
  /** GET /metrics (Prometheus), unless METRICS=off */
  metrics: boolean;
  /** when set, /metrics answers only a request with `Authorization: Bearer <it>` */
  metricsToken?: string;
  /** when set, /metrics and /health/* are (also) served on this port, on every node, gateway or not */
  metricsPort?: number;
  metricsHost: string;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: traces go there over OTLP/HTTP; unset, tracing is off (core/observability/otel.ts) */
  otlpEndpoint?: string;
  /** identity: the first platform administrator, created once on a first start */
  initAdminUsername: string;
  initAdminPassword?: string;
  /** seconds an access token is valid; a session renews it with its refresh token */
  accessTokenTtl: number;
  /** seconds a session lasts from sign-in */
  sessionLifetime: number;
  /** sign-in attempts a client address may make per minute, across all accounts */
  loginRatePerIp: number;
  /** take the client's address from X-Forwarded-For (behind a reverse proxy) */
  trustProxy: boolean;
  /** import tenants/demo-accounts.csv once, on the first start (default: on the embedded database only) */
  demoAccounts: boolean;
  /** attachments (core/files): where the bytes go, PostgreSQL ("pg") or an S3-compatible bucket ("s3") */
  filesStore: "pg" | "s3";
  /** FILES_S3_ENDPOINT, _BUCKET, _ACCESS_KEY, _SECRET_KEY, _REGION: required with FILES_STORE=s3 */
  filesS3?: { endpoint: string; bucket: string; accessKey: string; secretKey: string; region: string };
  /** the largest upload any form may take; a field's own maxBytes may only be smaller */
  filesMaxBytes: number;
  /** the types (by content) an upload may be at all; a field's own accept list narrows it */
  filesTypes: string[];
}

/** NODE_ID, or one made of the host and the process: unique in a cluster. */
export const nodeIdOf = (cfg: Pick<KernelConfig, "nodeId">) => cfg.nodeId ?? `${os.hostname()}-${process.pid}`;

export function readConfig(env: NodeJS.ProcessEnv = process.env, rootDir = path.resolve(__dirname, "..")): KernelConfig {
  const int = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${raw}"`);
    return n;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = (env[name] ?? "").trim().toLowerCase();
    if (!raw) return fallback;
    if (["1", "true", "on", "yes"].includes(raw)) return true;
    if (["0", "false", "off", "no"].includes(raw)) return false;
    throw new Error(`${name} must be on or off, got "${env[name]}"`);
  };
  const production = env.NODE_ENV === "production";
  // Every node must verify every other node's tokens: in production the key is the operator's, not one made up at first start.
  if (production && !env.AUTH_SECRET) throw new Error("AUTH_SECRET is required when NODE_ENV=production: set it to the same random string of 32 characters or more on every node");
  if (env.AUTH_SECRET !== undefined && Buffer.byteLength(env.AUTH_SECRET) < 32) throw new Error("AUTH_SECRET must be at least 32 bytes long");
  const services = env.SERVICES?.trim()
    ? env.SERVICES.split(",").map((s) => s.trim()).filter(Boolean)
    : null;
  return {
    rootDir,
    port: int("PORT", 3000),
    host: env.HOST || "0.0.0.0",
    databaseUrl: checkedUrl(env, "DATABASE_URL", ["postgres:", "postgresql:"], "postgres://user:password@host:5432/database"),
    natsUrl: checkedUrl(env, "NATS_URL", ["nats:", "tls:"], "nats://host:4222"),
    services,
    dataDir: path.resolve(rootDir, env.DATA_DIR || ".data"),
    embeddedPgPort: int("EMBEDDED_PG_PORT", 54329),
    bodyLimit: env.BODY_LIMIT || "1mb",
    requestTimeoutMs: int("REQUEST_TIMEOUT_MS", 10000),
    heartbeatIntervalMs: int("HEARTBEAT_INTERVAL_MS", 500),
    heartbeatTimeoutMs: int("HEARTBEAT_TIMEOUT_MS", 2500),
    uploadTimeoutMs: int("UPLOAD_TIMEOUT_MS", 10 * 60_000),
    shutdownTimeoutMs: int("SHUTDOWN_TIMEOUT_MS", 10_000),
    // in production a balancer sits in front: keep serving until it has seen /health/ready fail
    shutdownDelayMs: int("SHUTDOWN_DELAY_MS", production ? 5000 : 0),
    transporterConnectTimeoutMs: int("TRANSPORTER_CONNECT_TIMEOUT_MS", 15_000),
    nodeId: env.NODE_ID || undefined,
    pluginsDir: path.resolve(rootDir, env.PLUGINS_DIR || "plugins"),
    // separated as PATH is (":" here, ";" on Windows); relative entries from the project folder
    pluginPaths: (env.PLUGIN_PATHS ?? "").split(path.delimiter).map((p) => p.trim()).filter(Boolean).map((p) => path.resolve(rootDir, p)),
    formsDir: path.resolve(rootDir, env.FORMS_DIR || "forms"),
    deadlineCheckMs: int("DEADLINE_CHECK_MS", 1000),
    auditAnchorEveryMs: int("AUDIT_ANCHOR_EVERY_MS", 3_600_000),
    dbPoolMax: int("DB_POOL_MAX", 10),
    apiMaxInFlight: int("API_MAX_IN_FLIGHT", 1024),
    outboxRelay: !["0", "false", "off"].includes((env.OUTBOX_RELAY ?? "").toLowerCase()),
    outboxPollMs: int("OUTBOX_POLL_MS", 1000),
    eventRetryLimit: int("EVENT_RETRY_LIMIT", 5),
    eventRetryDelaySeconds: int("EVENT_RETRY_DELAY_S", 2),
    eventExpireSeconds: int("EVENT_EXPIRE_S", 300),
    queueMaintenanceSeconds: int("QUEUE_MAINTENANCE_S", 30),
    webDir: path.resolve(rootDir, "web"),
    logLevel: logLevel(env.LOG_LEVEL),
    logFormat: oneOf(env, "LOG_FORMAT", ["json", "text"] as const, "json"),
    production,
    metrics: bool("METRICS", true),
    metricsToken: env.METRICS_TOKEN || undefined,
    metricsPort: env.METRICS_PORT ? int("METRICS_PORT", 0) : undefined,
    metricsHost: env.METRICS_HOST || "0.0.0.0",
    otlpEndpoint: checkedUrl(env, "OTEL_EXPORTER_OTLP_ENDPOINT", ["http:", "https:"], "http://otel-collector:4318"),
    initAdminUsername: env.INIT_ADMIN_USERNAME?.trim() || "admin",
    initAdminPassword: env.INIT_ADMIN_PASSWORD || undefined,
    accessTokenTtl: int("ACCESS_TOKEN_TTL", 15 * 60),
    sessionLifetime: int("SESSION_LIFETIME", 12 * 3600),
    loginRatePerIp: int("LOGIN_RATE_PER_IP", 30),
    trustProxy: env.TRUST_PROXY === "1" || env.TRUST_PROXY === "true",
    demoAccounts: env.DEMO_ACCOUNTS ? env.DEMO_ACCOUNTS === "1" || env.DEMO_ACCOUNTS === "true" : !env.DATABASE_URL,
    ...filesConfig(env, int),
  };
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace"];
function logLevel(raw: string | undefined): string {
  const level = (raw || "info").toLowerCase();
  if (!LOG_LEVELS.includes(level)) throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got "${raw}"`);
  return level;
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[], fallback: T): T {
  const raw = (env[name] || fallback).toLowerCase() as T;
  if (!allowed.includes(raw)) throw new Error(`${name} must be ${allowed.map((a) => `"${a}"`).join(" or ")}, got "${env[name]}"`);
  return raw;
}

/** A URL that cannot be what it names fails here, at start, not at its first use; the message never repeats a password. */
function checkedUrl(env: NodeJS.ProcessEnv, name: string, protocols: string[], example: string): string | undefined {
  const raw = env[name];
  if (!raw) return undefined;
  // NATS takes several servers, comma separated
  for (const one of name === "NATS_URL" ? raw.split(",") : [raw]) {
    let url: URL | undefined;
    try {
      url = new URL(one.trim());
    } catch {
      url = undefined;
    }
    if (!url || !protocols.includes(url.protocol) || !url.hostname) {
      throw new Error(`${name} is not a valid ${protocols[0].slice(0, -1)} URL (expected like ${example})`);
    }
  }
  return raw;
}

/** Documents, images, archives and video that procurement files are; never programs or scripts. */
const DEFAULT_FILE_TYPES = [
  "application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "image/tiff", "video/mp4", "video/webm", "audio/mpeg",
  "application/zip", "application/x-7z-compressed", "application/x-rar-compressed", "text/plain",
  "application/msword", "application/vnd.ms-excel", "application/x-cfb",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation",
];

function filesConfig(env: NodeJS.ProcessEnv, int: (name: string, fallback: number) => number): Pick<KernelConfig, "filesStore" | "filesS3" | "filesMaxBytes" | "filesTypes"> {
  const store = (env.FILES_STORE || "pg").toLowerCase();
  if (store !== "pg" && store !== "s3") throw new Error(`FILES_STORE must be "pg" or "s3", got "${env.FILES_STORE}"`);
  let filesS3: KernelConfig["filesS3"];
  if (store === "s3") {
    const missing = ["FILES_S3_ENDPOINT", "FILES_S3_BUCKET", "FILES_S3_ACCESS_KEY", "FILES_S3_SECRET_KEY"].filter((n) => !env[n]);
    if (missing.length) throw new Error(`FILES_STORE=s3 needs ${missing.join(", ")}`);
    filesS3 = { endpoint: env.FILES_S3_ENDPOINT!, bucket: env.FILES_S3_BUCKET!, accessKey: env.FILES_S3_ACCESS_KEY!, secretKey: env.FILES_S3_SECRET_KEY!, region: env.FILES_S3_REGION || "us-east-1" };
  }
  const types = env.FILES_TYPES?.split(",").map((t) => t.trim()).filter(Boolean);
  return { filesStore: store, filesS3, filesMaxBytes: int("FILES_MAX_BYTES", 100 * 1024 * 1024), filesTypes: types?.length ? types : DEFAULT_FILE_TYPES };
}
