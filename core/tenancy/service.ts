import { subject } from "@casl/ability";
import { compileSchema, schemaErrors } from "../forms/validate";
import { fieldError, forbidden, notFound, PlatformError, validationFailed, type Localized } from "../errors";
import type { AppAbility, PlatformContext, PlatformServiceSchema } from "../plugins/types";
import type { Tenancy } from "./index";
import type { Effective, ScheduleEntry, Segment } from "./schedule";
import { parseScheduleTime } from "./time";
import { unitProblems } from "../access/units";
import type { Tenant } from "./tree";

export const SCHEDULE_CHANGED = "tenancy.schedule.changed";
// A node that could not be reached when a change was made (it was restarting, say) catches up within this.
const REFRESH_MS = 30_000;
// How long a change waits for the other nodes to confirm they have read it.
const CONFIRM_MS = 2_000;

const entryBody = compileSchema({
  type: "object",
  additionalProperties: false,
  required: ["state", "from"],
  properties: {
    state: { enum: ["off", "pilot", "live", "sunset", "retired"] },
    from: { type: "string", format: "schedule-time" },
    until: { type: "string", format: "schedule-time" },
    units: { type: "array", items: { type: "string", minLength: 1, maxLength: 40 }, uniqueItems: true, maxItems: 10000 },
    note: { type: "string", maxLength: 500 },
  },
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function notOnPlatform(t: Tenant): PlatformError {
  return new PlatformError("NOT_FOUND", {
    "zh-CN": `${t.name["zh-CN"]}使用自己的平台，不在本平台上`,
    en: `${t.name.en} runs its own platform and is not on this one`,
  });
}

const TENANT: Localized = { "zh-CN": "区划", en: "tenant" };

/**
 * Asks every other node serving tenancy to re-read the schedules, and waits (at most CONFIRM_MS).
 * Returns the nodes that did not confirm; they catch up on their next refresh.
 */
async function reloadEverywhere(ctx: PlatformContext): Promise<string[]> {
  type Endpoints = { endpoints: Array<{ id: string; local: boolean; isAvailable: boolean }> } | undefined;
  const registry = ctx.broker.registry as unknown as { getActionEndpoints(name: string): Endpoints };
  const endpoints = registry.getActionEndpoints("tenancy.reload")?.endpoints ?? [];
  const others = endpoints.filter((e) => !e.local && e.isAvailable).map((e) => e.id);
  const results = await Promise.allSettled(others.map((nodeID) => ctx.call("tenancy.reload", {}, { nodeID, timeout: CONFIRM_MS, retries: 0 })));
  const failed = others.filter((_, i) => results[i].status === "rejected");
  if (failed.length) ctx.broker.logger.warn(`schedule change not yet confirmed by ${failed.join(", ")}; they catch up within ${REFRESH_MS / 1000} s`);
  return failed;
}

/** The tenancy API: the tree, each tenant's modules now (or at any instant), timelines, and changes. */
export function tenancyService(tenancy: Tenancy): PlatformServiceSchema {
  const { tree, modules, clock } = tenancy;
  let refresher: NodeJS.Timeout | undefined;

  const tenantOr404 = (code: string): Tenant => {
    const t = tree.get(code);
    if (!t) throw notFound(TENANT);
    if (t.onPlatform === false) throw notOnPlatform(t);
    return t;
  };
  const describe = (t: Tenant) => ({ code: t.code, name: t.name, level: t.level });
  const effectiveJson = (e: Effective) => ({
    module: e.module,
    title: modules.titles.get(e.module),
    state: e.state,
    units: e.units,
    inherited: e.inherited,
    source: e.source ? { tenant: e.source.tenant, from: iso(e.source.from), until: iso(e.source.until) } : null,
    next: e.next ? { at: iso(e.next.at), state: e.next.state } : null,
  });
  const segmentJson = (s: Segment) => ({ ...s, from: iso(s.from), until: iso(s.until) });
  const ownJson = (code: string, module: string) =>
    tenancy.book().own(code, module).map((e) => ({ state: e.state, from: iso(e.from), until: iso(e.until), units: e.units, note: e.note ?? null }));

  return {
    name: "tenancy",
    actions: {
      tree: {
        rest: "GET /tenants",
        kind: "read",
        permission: "public",
        handler() {
          const node = (t: Tenant): object => ({
            ...describe(t),
            onPlatform: t.onPlatform !== false,
            // the template its units' usernames are made with (its own or inherited); null: old usernames
            accountRule: tree.usernameRule(t.code)?.template ?? null,
            children: tree.children(t.code).map(node),
          });
          return node(tree.root());
        },
      },

      modules: {
        rest: "GET /tenants/:code/modules",
        kind: "read",
        permission: "public",
        handler(ctx: PlatformContext<{ code: string; at?: string }>) {
          const t = tenantOr404(ctx.params.code);
          let at = clock.now();
          if (ctx.params.at !== undefined) {
            const parsed = parseScheduleTime(ctx.params.at);
            if (!parsed) throw validationFailed([fieldError("/at", "format:schedule-time", "应为日期或带时区的时间", "a date or a time with its offset")]);
            at = parsed;
          }
          const book = tenancy.book();
          return { tenant: describe(t), at: at.toISOString(), modules: modules.keys.map((m) => effectiveJson(book.effective(t.code, m, at))) };
        },
      },

      timeline: {
        rest: "GET /tenants/:code/modules/:module/timeline",
        kind: "read",
        permission: "public",
        handler(ctx: PlatformContext<{ code: string; module: string }>) {
          const t = tenantOr404(ctx.params.code);
          if (!modules.titles.has(ctx.params.module)) throw notFound({ "zh-CN": "模块", en: "module" });
          const book = tenancy.book();
          return {
            tenant: describe(t),
            module: ctx.params.module,
            title: modules.titles.get(ctx.params.module),
            own: ownJson(t.code, ctx.params.module),
            segments: book.timeline(t.code, ctx.params.module).map(segmentJson),
          };
        },
      },

      put: {
        rest: "PUT /tenants/:code/modules/:module",
        kind: "continue",
        permission: ["update", "TenantSchedule"],
        async handler(ctx: PlatformContext<Record<string, unknown> & { code: string; module: string }>) {
          const { code, module, ...body } = ctx.params;
          const t = tree.get(code);
          if (!t) throw validationFailed([fieldError("/tenant", "tenant", `区划 ${code} 不在本平台`, `${code} is not a tenant of this platform`)]);
          if (t.onPlatform === false) {
            throw new PlatformError("FORBIDDEN", {
              "zh-CN": `${t.name["zh-CN"]}使用自己的平台，本平台不管理其模块`,
              en: `${t.name.en} runs its own platform; its modules are not managed here`,
            });
          }
          if (!(ctx.locals.ability as AppAbility).can("update", subject("TenantSchedule", { tenantCode: code }))) throw forbidden();
          const problems = schemaErrors(entryBody, body);
          if (!modules.titles.has(module)) problems.unshift(fieldError("/module", "module", `未知的模块「${module}」`, `unknown module "${module}"`));
          if (problems.length) throw validationFailed(problems);

          const now = clock.now();
          const from = parseScheduleTime(body.from as string)!;
          const until = body.until ? parseScheduleTime(body.until as string)! : null;
          const units = (body.units as string[] | undefined) ?? null;
          if (from < now) {
            problems.push(fieldError("/from", "not-before-now", "不能改写已经生效的历史：生效时间不能早于现在", "a change cannot rewrite history that already had effect: from may not be before now"));
          }
          if (until && until <= from) problems.push(fieldError("/until", "after-from", "结束时间必须晚于开始时间", "until must be after from"));
          if (body.state === "pilot" && !units?.length) problems.push(fieldError("/units", "required", "试点必须列出试点单位", "a pilot lists the units that take part"));
          const user = ctx.meta.user!;
          // A pilot's units are registered units of the tenant (and of the administrator's region):
          // a mistyped or foreign code would be a pilot nobody takes part in, saved without a word.
          if (!problems.length && units?.length) {
            problems.push(...(await unitProblems(ctx, tree, units.map((u, i) => ({ path: `/units/${i}`, code: u, regions: [code, user.tenantCode] })))));
          }
          if (problems.length) throw validationFailed(problems);

          const entry: ScheduleEntry = { tenant: code, module, state: body.state as ScheduleEntry["state"], from, until, units, note: (body.note as string) ?? null };
          await tenancy.put(entry, { id: user.id, username: user.username });
          // The answer waits until every node has read the change (each decides with its own clock,
          // so from then on the change is in force everywhere at `from`, even a `from` of now).
          const unconfirmed = await reloadEverywhere(ctx);
          ctx.emit(SCHEDULE_CHANGED, { tenant: code, module, state: entry.state, from: iso(from), until: iso(until) });
          return { tenant: describe(t), module, own: ownJson(code, module), now: effectiveJson(tenancy.book().effective(code, module, now)), unconfirmed };
        },
      },

      reload: {
        // Internal: a node re-reads the schedules when another has changed them. Not routed.
        visibility: "public",
        kind: "read",
        permission: "authenticated",
        async handler() {
          await tenancy.reload();
          return true;
        },
      },
    },
    started() {
      refresher = setInterval(() => void tenancy.reload().catch(() => {}), REFRESH_MS);
      refresher.unref();
    },
    stopped() {
      clearInterval(refresher);
    },
  } as PlatformServiceSchema;
}
