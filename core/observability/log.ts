import pino, { type DestinationStream, type Logger } from "pino";
import { currentTrace } from "./trace";

/**
 * Keys whose values never reach a log, at any of the depths a logged object (a request's params,
 * a call's meta, an error's data) puts them: passwords, tokens, the storage keys; and a user's unit
 * code, which a plugin may make a first password (plugins add their own: `secretFields`).
 */
export const SECRET_KEYS = [
  "password", "currentPassword", "newPassword", "initAdminPassword",
  "token", "refreshToken", "accessToken", "authorization", "cookie", "set-cookie", "idempotencyKey",
  "unitCode", "unit_code",
  "secret", "secretKey", "accessKey", "AUTH_SECRET",
];

const DEPTH = 5;
/** pino's redaction takes exact paths with `*` for one level: every secret key at every depth up to DEPTH. */
export const redactPaths = (keys: string[]) =>
  [...new Set(keys)].flatMap((key) => {
    const prop = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
    return Array.from({ length: DEPTH }, (_, depth) => (depth === 0 ? prop : `${"*.".repeat(depth)}${prop}`.replace(/\.\[/g, "[")));
  });

const CENSOR = "[redacted]";

export type LogFormat = "json" | "text";

export interface LogOptions {
  level: string;
  format: LogFormat;
  /** this node's id, on every line */
  node?: string;
  /** where lines go; stdout by default (tests capture them) */
  destination?: DestinationStream;
}

/**
 * The node's root logger. JSON (one object a line, what a log shipper reads) unless LOG_FORMAT=text,
 * which prints `time level [module] message` lines for a person at a terminal. Every line made while
 * a request is served carries its traceId, tenant and userId (./trace.ts).
 */
export function createRootLogger(opts: LogOptions): Logger {
  return pino(
    {
      level: opts.level,
      base: opts.node ? { node: opts.node } : {},
      redact: { paths: redactPaths(SECRET_KEYS), censor: CENSOR },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: () => ({ ...currentTrace() }),
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.destination ?? (opts.format === "text" ? textStream() : pino.destination({ dest: 1, sync: true })),
  );
}

/** LOG_FORMAT=text: the same lines, made readable; no dependency (pino-pretty) for a development nicety. */
function textStream(): DestinationStream {
  return {
    write(line: string) {
      const o = JSON.parse(line) as Record<string, unknown>;
      const { time, level, msg, node: _node, mod, svc, nodeID: _n, ns: _ns, traceId, ...rest } = o;
      const where = mod || svc ? `[${String(svc ?? mod)}] ` : "";
      const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : "";
      process.stdout.write(`${String(time).slice(11, 23)} ${String(level).toUpperCase().padEnd(5)} ${traceId ? `(${String(traceId).slice(0, 8)}) ` : ""}${where}${msg ?? ""}${extra}\n`);
    },
  };
}

type Level = "fatal" | "error" | "warn" | "info" | "debug" | "trace";

/**
 * Moleculer logs like console.log (a message and then anything); pino wants one object and one
 * message. Strings make the message, an Error goes to `err` (type, message, code, stack), anything
 * else to `data`, where the redaction paths find what must not be written.
 */
export function shapeArgs(args: unknown[]): { obj: Record<string, unknown>; msg: string } {
  const words: string[] = [];
  const data: unknown[] = [];
  let err: unknown;
  for (const a of args) {
    if (typeof a === "string") words.push(a);
    else if (typeof a === "number" || typeof a === "boolean") words.push(String(a));
    else if (a instanceof Error && err === undefined) err = a;
    else if (a !== undefined) data.push(a);
  }
  const obj: Record<string, unknown> = {};
  if (err) obj.err = err;
  if (data.length) obj.data = data.length === 1 ? data[0] : data;
  return { obj, msg: words.join(" ") };
}

/**
 * Moleculer's Pino logger, on our root logger, taking console-style arguments (shapeArgs); its lines
 * (requests' params among them) are redacted of the kernel's secrets and of the plugins' `secretFields`.
 */
export function moleculerLogger(root: Logger, level: string, secretFields: string[] = []) {
  const redact = { paths: redactPaths([...SECRET_KEYS, ...secretFields]), censor: CENSOR };
  return {
    type: "Pino",
    options: {
      level,
      createLogger(lvl: string, bindings: Record<string, unknown>) {
        const child = root.child({ mod: bindings.mod, ...(bindings.svc ? { svc: bindings.svc } : {}) }, { level: lvl, redact });
        const at = (l: Level) => (...args: unknown[]) => {
          // (the broker logs each call at debug: nothing is shaped for a level that writes nothing)
          if (!child.isLevelEnabled(l)) return;
          const { obj, msg } = shapeArgs(args);
          child[l](obj, msg);
        };
        return { fatal: at("fatal"), error: at("error"), warn: at("warn"), info: at("info"), debug: at("debug"), trace: at("trace") };
      },
    },
  };
}

/**
 * The kernel's start-up and housekeeping lines ("[db] ...", "[start] ... ready", "[stop] ..."), as info
 * lines of the same log, written whatever LOG_LEVEL says (as they always were): an operator, and
 * whatever waits for a node to be ready, reads them; LOG_LEVEL quietens the broker's own lines.
 */
export const lineLogger = (root: Logger) => {
  const lines = root.child({}, { level: "info" });
  return (line: string) => lines.info(line.trim());
};
