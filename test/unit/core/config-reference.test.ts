import fs from "node:fs";
import { readConfig } from "../../../core/config";
import { CONFIG_VARS, OPERATIONS_GUIDE, configReference, withFreshReference } from "../../../core/config-reference";

/** The names readConfig looks up, with every optional branch taken (S3 store, a metrics port). */
function variablesRead(): Set<string> {
  const seen = new Set<string>();
  const env: Record<string, string> = {
    FILES_STORE: "s3",
    FILES_S3_ENDPOINT: "http://127.0.0.1:9000",
    FILES_S3_BUCKET: "b",
    FILES_S3_ACCESS_KEY: "a",
    FILES_S3_SECRET_KEY: "s",
    METRICS_PORT: "9464",
    SERVICES: "gateway",
  };
  const recording = new Proxy(env, {
    get(target, key) {
      if (typeof key === "string") seen.add(key);
      return target[key as string];
    },
  });
  readConfig(recording as NodeJS.ProcessEnv);
  return seen;
}

test("every variable core/config.ts reads is in the configuration reference, and nothing else is", () => {
  const documented = CONFIG_VARS.map((v) => v.name);
  expect(new Set(documented).size).toBe(documented.length);
  expect([...variablesRead()].sort()).toEqual([...documented].sort());
});

test("docs/operations.md holds the reference as core/config-reference.ts makes it (npm run gen:ops-docs)", () => {
  const guide = fs.readFileSync(OPERATIONS_GUIDE, "utf8");
  expect(guide).toContain(configReference());
  expect(withFreshReference(guide)).toBe(guide);
});

test("a default the reference states for a number is the one readConfig uses", () => {
  const cfg = readConfig({});
  const numbers: Record<string, number> = {
    PORT: cfg.port, EMBEDDED_PG_PORT: cfg.embeddedPgPort, REQUEST_TIMEOUT_MS: cfg.requestTimeoutMs, UPLOAD_TIMEOUT_MS: cfg.uploadTimeoutMs,
    SHUTDOWN_TIMEOUT_MS: cfg.shutdownTimeoutMs, TRANSPORTER_CONNECT_TIMEOUT_MS: cfg.transporterConnectTimeoutMs, HEARTBEAT_INTERVAL_MS: cfg.heartbeatIntervalMs,
    HEARTBEAT_TIMEOUT_MS: cfg.heartbeatTimeoutMs, DB_POOL_MAX: cfg.dbPoolMax, OUTBOX_POLL_MS: cfg.outboxPollMs, EVENT_RETRY_LIMIT: cfg.eventRetryLimit,
    EVENT_RETRY_DELAY_S: cfg.eventRetryDelaySeconds, EVENT_EXPIRE_S: cfg.eventExpireSeconds, QUEUE_MAINTENANCE_S: cfg.queueMaintenanceSeconds,
    DEADLINE_CHECK_MS: cfg.deadlineCheckMs, AUDIT_ANCHOR_EVERY_MS: cfg.auditAnchorEveryMs, ACCESS_TOKEN_TTL: cfg.accessTokenTtl,
    SESSION_LIFETIME: cfg.sessionLifetime, LOGIN_RATE_PER_IP: cfg.loginRatePerIp, FILES_MAX_BYTES: cfg.filesMaxBytes,
  };
  for (const [name, value] of Object.entries(numbers)) expect({ name, default: CONFIG_VARS.find((v) => v.name === name)?.default }).toEqual({ name, default: String(value) });
});

test("in production a stopping node keeps serving 5 s after it turns not ready, unless told otherwise", () => {
  const secret = "s".repeat(32);
  expect(readConfig({}).shutdownDelayMs).toBe(0);
  expect(readConfig({ NODE_ENV: "production", AUTH_SECRET: secret }).shutdownDelayMs).toBe(5000);
  expect(readConfig({ NODE_ENV: "production", AUTH_SECRET: secret, SHUTDOWN_DELAY_MS: "0" }).shutdownDelayMs).toBe(0);
});
