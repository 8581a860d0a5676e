import fs from "node:fs";
import path from "node:path";

/**
 * Every environment variable a node reads (core/config.ts), documented once: docs/operations.md's
 * configuration reference is generated from this list (`npm run gen:ops-docs`), and a test fails
 * when config.ts reads a variable missing here, or the guide is not what this list makes.
 */
export interface ConfigVar {
  name: string;
  /** as an operator writes it; "" for none */
  default: string;
  description: string;
}

export const CONFIG_SECTIONS: Array<{ title: string; vars: ConfigVar[] }> = [
  {
    title: "Node and network",
    vars: [
      { name: "PORT", default: "3000", description: "HTTP port of the web app, the API and socket.io (nodes whose SERVICES include gateway)" },
      { name: "HOST", default: "0.0.0.0", description: "address the HTTP server listens on" },
      { name: "SERVICES", default: "(all)", description: "comma-separated plugins this node serves, plus `gateway` for HTTP; unset = everything in one process" },
      { name: "NODE_ID", default: "<hostname>-<pid>", description: "this node's id in the cluster, in logs and metrics; must be unique" },
      { name: "NODE_ENV", default: "", description: "`production`: AUTH_SECRET becomes required (nothing secret is made up at first start)" },
      { name: "TRUST_PROXY", default: "false", description: "take the client address from X-Forwarded-For (only behind a reverse proxy that sets it)" },
      { name: "BODY_LIMIT", default: "1mb", description: "largest JSON body" },
      { name: "REQUEST_TIMEOUT_MS", default: "10000", description: "time an API call may take (in a cluster, each call between nodes too)" },
      { name: "UPLOAD_TIMEOUT_MS", default: "600000", description: "time an upload (CSV import) may take" },
      { name: "SHUTDOWN_TIMEOUT_MS", default: "10000", description: "on SIGTERM, how long requests in flight and socket.io clients get before the node closes anyway; the process exits at most 10 s after that" },
      { name: "SHUTDOWN_DELAY_MS", default: "0 (5000 with NODE_ENV=production)", description: "on SIGTERM, how long the node keeps serving while `/health/ready` already answers 503, before it closes its port and drains; set it above your balancer's health-check interval × unhealthy threshold, or requests sent meanwhile are refused" },
    ],
  },
  {
    title: "Database",
    vars: [
      { name: "DATABASE_URL", default: "(embedded)", description: "`postgres://user:password@host:5432/database`, shared by every node; unset = an embedded PostgreSQL 18 under DATA_DIR (single machine)" },
      { name: "DATA_DIR", default: ".data", description: "embedded PostgreSQL's files and password (relative to the checkout)" },
      { name: "EMBEDDED_PG_PORT", default: "54329", description: "loopback port of the embedded PostgreSQL" },
      { name: "API_MAX_IN_FLIGHT", default: "1024", description: "API requests the gateway holds at once (those waiting for a database connection included); one more is answered 503 with Retry-After at once rather than after the pool's 5 s acquire timeout: keep it below what the node finishes in those 5 s" },
      { name: "DB_POOL_MAX", default: "10", description: "connections this node keeps to PostgreSQL at most (× nodes ≤ the server's max_connections, with room for pg-boss and tools)" },
    ],
  },
  {
    title: "Cluster (NATS)",
    vars: [
      { name: "NATS_URL", default: "(in-process)", description: "`nats://host:4222` (comma-separated for several servers); unset = one process, no transporter" },
      { name: "TRANSPORTER_CONNECT_TIMEOUT_MS", default: "15000", description: "how long start-up waits for NATS before it fails with one line" },
      { name: "HEARTBEAT_INTERVAL_MS", default: "500", description: "how often a node says it is alive" },
      { name: "HEARTBEAT_TIMEOUT_MS", default: "2500", description: "silence after which the others take a node for dead and reject what is pending on it" },
    ],
  },
  {
    title: "Events, timers and audit",
    vars: [
      { name: "OUTBOX_RELAY", default: "on", description: "whether this node publishes committed events (nodes take turns; at least one must)" },
      { name: "OUTBOX_POLL_MS", default: "1000", description: "how often the relay looks for unsent events it was not told about" },
      { name: "EVENT_RETRY_LIMIT", default: "5", description: "retries of a failed subscriber before the event becomes a dead letter" },
      { name: "EVENT_RETRY_DELAY_S", default: "2", description: "seconds before the first retry, doubled each time" },
      { name: "EVENT_EXPIRE_S", default: "300", description: "seconds a delivery may take before it counts as failed (its node died)" },
      { name: "QUEUE_MAINTENANCE_S", default: "30", description: "how often the queue looks for expired deliveries" },
      { name: "DEADLINE_CHECK_MS", default: "1000", description: "how often a node sweeps for workflow deadlines that are due" },
      { name: "AUDIT_ANCHOR_EVERY_MS", default: "3600000", description: "how often the audit chain's head is anchored (written and logged as `[audit] anchor`)" },
    ],
  },
  {
    title: "Identity",
    vars: [
      { name: "AUTH_SECRET", default: "(made once, in the database)", description: "token signing key, 32 bytes or more, the same on every node; required with NODE_ENV=production" },
      { name: "INIT_ADMIN_USERNAME", default: "admin", description: "the first platform administrator, created on the first start" },
      { name: "INIT_ADMIN_PASSWORD", default: "(one-time, printed once)", description: "its password; unset = a one-time password printed once in the log" },
      { name: "ACCESS_TOKEN_TTL", default: "900", description: "seconds an access token is valid" },
      { name: "SESSION_LIFETIME", default: "43200", description: "seconds a session lasts from sign-in" },
      { name: "LOGIN_RATE_PER_IP", default: "30", description: "sign-in attempts per client address per minute" },
      { name: "DEMO_ACCOUNTS", default: "on with the embedded database", description: "import tenants/demo-accounts.csv and the demo projects on the first start" },
    ],
  },
  {
    title: "Attachments",
    vars: [
      { name: "FILES_STORE", default: "pg", description: "`pg` (bytes in PostgreSQL) or `s3` (an S3-compatible bucket)" },
      { name: "FILES_S3_ENDPOINT", default: "", description: "with FILES_STORE=s3: `https://s3.example:9000`" },
      { name: "FILES_S3_BUCKET", default: "", description: "with FILES_STORE=s3: the bucket" },
      { name: "FILES_S3_ACCESS_KEY", default: "", description: "with FILES_STORE=s3" },
      { name: "FILES_S3_SECRET_KEY", default: "", description: "with FILES_STORE=s3" },
      { name: "FILES_S3_REGION", default: "us-east-1", description: "with FILES_STORE=s3" },
      { name: "FILES_MAX_BYTES", default: "104857600", description: "largest upload any form may take" },
      { name: "FILES_TYPES", default: "(documents, images, archives, video)", description: "comma-separated content types an upload may be" },
    ],
  },
  {
    title: "Logs, metrics and health",
    vars: [
      { name: "LOG_LEVEL", default: "info", description: "fatal, error, warn, info, debug or trace" },
      { name: "LOG_FORMAT", default: "json", description: "`json` (one object a line: time, level, node, traceId, tenant, userId, msg) or `text` (for a terminal)" },
      { name: "METRICS", default: "on", description: "serve GET /metrics (Prometheus text format)" },
      { name: "METRICS_TOKEN", default: "", description: "when set, /metrics answers only `Authorization: Bearer <token>`" },
      { name: "METRICS_PORT", default: "", description: "when set, /metrics and /health/* on this port of their own (every node, gateway or not), and /metrics no longer on PORT" },
      { name: "METRICS_HOST", default: "0.0.0.0", description: "address of METRICS_PORT (e.g. a private interface)" },
      { name: "OTEL_EXPORTER_OTLP_ENDPOINT", default: "", description: "an OTLP/HTTP collector (`http://otel-collector:4318`): traces of every request (HTTP, actions on any node, queries) go to `<it>/v1/traces`; unset = tracing off, its SDK not even loaded" },
    ],
  },
  {
    title: "Plugins and forms",
    vars: [
      { name: "PLUGINS_DIR", default: "plugins", description: "folder of plugins" },
      { name: "PLUGIN_PATHS", default: "", description: "more plugins outside PLUGINS_DIR, separated as PATH is" },
      { name: "FORMS_DIR", default: "forms", description: "form schemas, uiSchemas and workflows" },
    ],
  },
];

export const CONFIG_VARS: ConfigVar[] = CONFIG_SECTIONS.flatMap((s) => s.vars);

export const BEGIN = "<!-- configuration reference: generated by `npm run gen:ops-docs` from core/config-reference.ts; do not edit -->";
export const END = "<!-- end of the generated configuration reference -->";

const cell = (text: string) => text.replace(/\|/g, "\\|");

/** The generated part of docs/operations.md, markers included. */
export function configReference(): string {
  const out = [BEGIN, ""];
  for (const section of CONFIG_SECTIONS) {
    out.push(`### ${section.title}`, "", "| variable | default | what |", "| --- | --- | --- |");
    for (const v of section.vars) out.push(`| \`${v.name}\` | ${v.default ? cell(v.default) : "—"} | ${cell(v.description)} |`);
    out.push("");
  }
  out.push(END);
  return out.join("\n");
}

export const OPERATIONS_GUIDE = path.resolve(__dirname, "..", "docs", "operations.md");

/** The guide with its reference replaced by a fresh one. */
export function withFreshReference(guide: string): string {
  const from = guide.indexOf(BEGIN);
  const to = guide.indexOf(END);
  if (from < 0 || to < from) throw new Error(`${OPERATIONS_GUIDE} has no configuration reference markers`);
  return guide.slice(0, from) + configReference() + guide.slice(to + END.length);
}

if (require.main === module) {
  fs.writeFileSync(OPERATIONS_GUIDE, withFreshReference(fs.readFileSync(OPERATIONS_GUIDE, "utf8")));
  console.log(`${path.relative(process.cwd(), OPERATIONS_GUIDE)}: configuration reference of ${CONFIG_VARS.length} variables written`);
}
