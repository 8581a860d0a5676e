import fs from "node:fs";
import path from "node:path";
import { errorStatus, type ErrorCode, type Lang } from "../../errors";
import type { Kernel } from "../../kernel";
import { localizeForm } from "../../forms/display";
import { servedSchema } from "../../forms/validate";
import type { PlatformServiceSchema } from "../../plugins/types";
import { restRoutes, type RestRoute } from "./routes";
import { filesOperations, type OperationDetail } from "../../files/openapi";
import { platform } from "../../platform";

type Json = Record<string, unknown>;
type Source = Pick<Kernel, "registry" | "coreServices" | "forms" | "workflow" | "config">;

/** A route the gateway answers itself, outside any action (the description and its page). */
export interface PlainRoute {
  method: string;
  path: string;
  summary: Record<Lang, string>;
  /** media type and schema of the 200 answer */
  content: [type: string, schema: Json];
}

const t = (lang: Lang, zh: string, en: string) => (lang === "en" ? en : zh);

/** "/instances/:id/transitions/:name" → "/instances/{id}/transitions/{name}", and the names. */
function templated(p: string): { path: string; names: string[] } {
  const names: string[] = [];
  const out = p.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => {
    names.push(name);
    return `{${name}}`;
  });
  return { path: out, names };
}

/** What each status of the envelope means, by the codes that answer with it (core/errors.ts). */
function codesOf(status: number): ErrorCode[] {
  return (Object.keys(errorStatus) as ErrorCode[]).filter((c) => errorStatus[c] === status);
}

const STATUS_TEXT: Record<number, [string, string]> = {
  400: ["请求无效：数据不符合规则、JSON 无法解析，或参数不是单个值", "Invalid request: data breaks a rule, JSON does not parse, or a parameter is not one value"],
  401: ["未登录、令牌无效或会话已结束", "Not signed in, a bad token, or the session has ended"],
  403: ["无权操作：权限不足、须先修改初始密码，或该模块未对本地区开通", "Refused: no permission, the first password must be changed, or the module is not enabled for the tenant"],
  404: ["对象不存在（其他地区的对象也如此回答）", "No such object (objects of another tenant answer the same)"],
  409: ["冲突：版本已过期、期限已过或数据已存在", "Conflict: a stale version, a passed deadline, or the data already exists"],
  413: ["请求体过大", "The request body is too large"],
  429: ["尝试过于频繁或账号已锁定；见 Retry-After", "Too many attempts or the account is locked; see Retry-After"],
  500: ["内部错误（不含堆栈或 SQL）", "Internal error (no stack, no SQL)"],
  503: ["服务暂不可用：插件无可用节点、超时或数据库不可用", "Unavailable: no live node of the plugin, a timeout, or the database is down"],
};

/**
 * Actions that check a password, and so count attempts and lock (core/identity): the only ones
 * that answer 429. Nothing on an action says so, and the identity service's limits are its own.
 */
const PASSWORD_CHECKS = new Set(["auth.login", "auth.changePassword"]);

/**
 * Routes that take or answer bytes rather than JSON (uploads, downloads), or answer a known shape:
 * described by the module that owns them, beside its code.
 */
const DESCRIBED: Record<string, (lang: Lang) => OperationDetail> = { ...filesOperations };

/** Which envelope statuses a route can answer with, from what the gateway and the middlewares do. */
function errorStatuses(route: RestRoute, gated: boolean, hasBody: boolean, pathParams: number): number[] {
  const s = route.schema;
  // Every route: the input checks (400), a bad token even on public routes (401), 500 and 503.
  const out = [400, 401];
  // The password-change gate stops every action that does not allow it; permissions and the module gate.
  if (s.permission !== "public" || !s.duringPasswordChange || gated) out.push(403);
  if (pathParams) out.push(404);
  if (route.method !== "GET" && s.permission !== "public") out.push(409);
  if (hasBody) out.push(413);
  if (PASSWORD_CHECKS.has(route.action)) out.push(429);
  out.push(500, 503);
  return out;
}

const RESPONSE_NAMES: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthenticated",
  403: "Forbidden",
  404: "NotFound",
  409: "Conflict",
  413: "PayloadTooLarge",
  429: "TooManyRequests",
  500: "InternalError",
  503: "Unavailable",
};

function errorComponents(lang: Lang): { schemas: Json; responses: Json } {
  const schemas: Json = {
    ErrorDetail: {
      type: "object",
      description: t(lang, "一个字段的问题：JSON 指针与未通过的规则", "One field's problem: its JSON pointer and the rule it broke"),
      required: ["path", "rule"],
      properties: {
        path: { type: "string", description: t(lang, "字段的 JSON 指针（整个请求体为空串）", 'JSON pointer to the field ("" for the whole body)') },
        rule: { type: "string", examples: ["required", "format", "json", "unique", "type", "text", "depth"] },
        message: { type: "object", properties: { "zh-CN": { type: "string" }, en: { type: "string" } } },
      },
    },
    Error: {
      type: "object",
      description: t(lang, "所有错误的统一格式（DESIGN.md §7），消息按 Accept-Language 或 ?lang= 给出中文或英文", "The one shape of every error (DESIGN.md §7); the message in Chinese or English by Accept-Language or ?lang="),
      required: ["error"],
      properties: {
        error: {
          type: "object",
          required: ["code", "message"],
          properties: {
            code: { type: "string", enum: Object.keys(errorStatus) },
            message: { type: "string" },
            details: {
              description: t(lang, "VALIDATION_FAILED：各字段的问题；其他代码：补充信息（如 MODULE_NOT_ENABLED 的模块与开通日期、429 的 retryAfterSeconds）", "VALIDATION_FAILED: the fields' problems; other codes: more facts (MODULE_NOT_ENABLED's module and opening date, a 429's retryAfterSeconds)"),
              anyOf: [{ type: "array", items: { $ref: "#/components/schemas/ErrorDetail" } }, { type: "object" }],
            },
          },
        },
      },
    },
  };
  const responses: Json = {};
  for (const [status, name] of Object.entries(RESPONSE_NAMES)) {
    const [zh, en] = STATUS_TEXT[Number(status)];
    const codes = codesOf(Number(status));
    const response: Json = {
      description: `${t(lang, zh, en)} (${codes.join(", ")})`,
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" }, example: { error: { code: codes[0], message: t(lang, zh, en) } } } },
    };
    if (status === "429") response.headers = { "Retry-After": { description: t(lang, "多少秒后可再试", "Seconds until a retry may succeed"), schema: { type: "integer" } } };
    responses[name] = response;
  }
  return { schemas, responses };
}

/** A form as a component: the schema as served (no $id, no draft marker), titles in `lang`. */
function formComponent(kernel: Source, id: string, lang: Lang): Json {
  const { $schema: _draft, ...schema } = servedSchema(kernel.forms.effective(id).schema);
  void _draft;
  return localizeForm(schema, {}, lang).schema as Json;
}

const formRef = (id: string) => ({ $ref: `#/components/schemas/${id}` });

/** One form, or a choice of forms each marked by what chooses it (the workflow, the transition). */
function formChoice(byKey: Map<string, string>, lang: Lang, what: (key: string) => string): Json | undefined {
  if (!byKey.size) return undefined;
  const forms = new Set(byKey.values());
  if (forms.size === 1) return formRef([...forms][0]);
  return {
    description: [...byKey].map(([key, form]) => `${what(key)} → ${form}`).join("; "),
    oneOf: [...forms].map((f) => ({ ...formRef(f), description: t(lang, `表单 ${f}`, `form ${f}`) })),
  };
}

/**
 * The generic workflow routes take the data of a form the workflow names: a start its workflow's
 * start form, a transition its own. Their bodies are the forms themselves, so a client reads the
 * same JSON Schema the server validates with.
 */
function formBody(kernel: Source, route: RestRoute, lang: Lang): Json | undefined {
  const workflows = [...kernel.workflow.workflows.values()];
  if (route.action === "workflows.start") {
    const data = formChoice(new Map(workflows.map((w) => [w.id, w.start.form])), lang, (w) => t(lang, `工作流 ${w}`, `workflow ${w}`));
    return { type: "object", required: ["data"], properties: { data } };
  }
  if (route.action === "workflows.transition") {
    const byTransition = new Map<string, string>();
    for (const w of workflows) for (const tr of w.transitions) if (tr.form) byTransition.set(`${w.id}/${tr.name}`, tr.form);
    const data = formChoice(byTransition, lang, (k) => t(lang, `工作流/操作 ${k}`, `workflow/transition ${k}`));
    return {
      type: "object",
      properties: {
        ...(data ? { data: { ...data, description: `${t(lang, "操作有表单时必填。", "Required where the transition has a form. ")}${(data.description as string | undefined) ?? ""}` } } : {}),
        expectedVersion: { type: "integer", minimum: 1, description: t(lang, "读到的版本；已变化则 409 CONFLICT", "The version read; 409 CONFLICT if it has moved on") },
      },
    };
  }
  return undefined;
}

/** Path parameters whose values the platform knows: workflow ids and transition names. */
function pathParamSchema(kernel: Source, route: RestRoute, name: string): Json {
  if (route.service === "workflows" && name === "workflowId") return { type: "string", enum: [...kernel.workflow.workflows.keys()].sort() };
  if (route.action === "workflows.transition" && name === "name") {
    return { type: "string", enum: [...new Set([...kernel.workflow.workflows.values()].flatMap((w) => w.transitions.map((tr) => tr.name)))].sort() };
  }
  return { type: "string" };
}

function operation(kernel: Source, route: RestRoute, lang: Lang): { path: string; op: Json } {
  const { path: p, names } = templated(route.path);
  const s = route.schema;
  const manifest = route.plugin ? kernel.registry.get(route.plugin) : undefined;
  const gated = !!manifest && manifest.gated !== false;
  const parameters: Json[] = names.map((name) => ({ name, in: "path", required: true, schema: pathParamSchema(kernel, route, name) }));
  const bodyMethod = route.method !== "GET" && route.method !== "DELETE";
  const detail = DESCRIBED[route.action]?.(lang) ?? {};
  parameters.push(...(detail.parameters ?? []), { $ref: "#/components/parameters/lang" }, { $ref: "#/components/parameters/acceptLanguage" });

  let requestBody: Json | undefined = detail.requestBody;
  if (requestBody) {
    // described by the module that owns the route
  } else if (s.stream) {
    requestBody = { required: true, content: { "text/csv": { schema: { type: "string", description: t(lang, "CSV 文件（UTF-8，首行为列名）", "A CSV file (UTF-8, a header line first)") } } } };
  } else if (bodyMethod) {
    // Other actions check their bodies in their handlers: nothing on the action says what they
    // take yet, so the description says an object and no more rather than guess.
    const fromForms = formBody(kernel, route, lang);
    requestBody = { required: !!fromForms, content: { "application/json": { schema: fromForms ?? { type: "object" } } } };
  }

  const ok = route.method === "POST" && s.kind === "create" ? "201" : "200";
  // JSON, of a shape the action does not declare: no schema rather than a guessed one
  const responses: Json = { [ok]: { description: t(lang, "成功", "Success"), content: { "application/json": {} } } };
  for (const status of errorStatuses(route, gated, !!requestBody, names.length)) responses[String(status)] = { $ref: `#/components/responses/${RESPONSE_NAMES[status]}` };
  Object.assign(responses, detail.responses);

  const permission = Array.isArray(s.permission) ? `${s.permission[0]} ${s.permission[1]}` : s.permission;
  const op: Json = {
    operationId: route.action,
    // shown beside the path: the action it calls, which is what the platform's logs and audit name
    summary: route.action,
    description: [
      `${t(lang, "类别", "Kind")}: \`${s.kind}\``,
      `${t(lang, "权限", "Permission")}: \`${permission}\``,
      ...(gated ? [t(lang, `受模块开通计划约束（模块 ${route.plugin}）`, `Gated by the tenant's schedule for module ${route.plugin}`)] : []),
      ...(s.duringPasswordChange ? [t(lang, "须改初始密码时仍可调用", "Callable while the first password must still be changed")] : []),
    ].join("  \n"),
    tags: [route.plugin ?? route.service],
    parameters,
    ...(requestBody ? { requestBody } : {}),
    responses,
    // public routes take a token too (and refuse a bad one with 401); the others need it
    security: s.permission === "public" ? [{}, { bearerAuth: [] }] : [{ bearerAuth: [] }],
    "x-kind": s.kind,
    "x-permission": s.permission,
  };
  return { path: `/api${p}`, op };
}

function packageVersion(rootDir: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(rootDir, "package.json"), "utf8")) as { version?: string }).version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

/**
 * The OpenAPI 3.1 description of the HTTP API, in one language: every route the gateway routes
 * (restRoutes, the same list its aliases come from) and the routes it answers itself, the forms
 * as component schemas, and the error envelope on every route for the statuses it can answer.
 */
export function buildOpenApi(kernel: Source, own: PlatformServiceSchema[], plain: PlainRoute[], lang: Lang): Json {
  const paths: Record<string, Json> = {};
  const tags = new Map<string, string>();
  for (const route of restRoutes(kernel, own)) {
    const { path: p, op } = operation(kernel, route, lang);
    (paths[p] ??= {})[route.method.toLowerCase()] = op;
    const manifest = route.plugin ? kernel.registry.get(route.plugin) : undefined;
    const tag = (op.tags as string[])[0];
    if (!tags.has(tag)) tags.set(tag, manifest ? `${manifest.title[lang]} (${manifest.name} ${manifest.version})` : t(lang, `平台内核：${route.service}`, `Platform kernel: ${route.service}`));
  }
  for (const r of plain) {
    (paths[`/api${r.path}`] ??= {})[r.method.toLowerCase()] = {
      operationId: `gateway.${r.path.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "")}`,
      summary: `${r.method} /api${r.path}`,
      description: r.summary[lang],
      tags: ["gateway"],
      parameters: [{ $ref: "#/components/parameters/lang" }, { $ref: "#/components/parameters/acceptLanguage" }],
      security: [{}],
      responses: {
        "200": { description: t(lang, "成功", "Success"), content: { [r.content[0]]: { schema: r.content[1] } } },
        // the input checks and the token check run before these too
        "400": { $ref: "#/components/responses/BadRequest" },
        "401": { $ref: "#/components/responses/Unauthenticated" },
        "500": { $ref: "#/components/responses/InternalError" },
        "503": { $ref: "#/components/responses/Unavailable" },
      },
    };
  }
  const errors = errorComponents(lang);
  const forms = Object.fromEntries(kernel.forms.list().map((f) => [f.id, formComponent(kernel, f.id, lang)]));
  return {
    openapi: "3.1.0",
    info: {
      title: t(lang, `${platform.name["zh-CN"]} API`, `${platform.name.en} API`),
      version: packageVersion(kernel.config.rootDir),
      description: t(
        lang,
        "由已加载插件的动作与表单生成。令牌：POST /api/auth/login 得到 token，以 `Authorization: Bearer <token>` 发送。错误统一为 `{ error: { code, message, details? } }`。",
        "Generated from the loaded plugins' actions and forms. Tokens: POST /api/auth/login gives a token, sent as `Authorization: Bearer <token>`. Every error is `{ error: { code, message, details? } }`.",
      ),
    },
    tags: [...tags].map(([name, description]) => ({ name, description })),
    paths,
    components: {
      schemas: { ...errors.schemas, ...forms },
      responses: errors.responses,
      parameters: {
        lang: { name: "lang", in: "query", required: false, description: t(lang, "消息语言（优先于 Accept-Language）", "Language of messages (before Accept-Language)"), schema: { type: "string", enum: ["zh-CN", "en"] } },
        acceptLanguage: { name: "Accept-Language", in: "header", required: false, schema: { type: "string", examples: ["zh-CN", "en"] } },
      },
      securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
    },
  };
}
