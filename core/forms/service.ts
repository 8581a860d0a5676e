import { subject } from "@casl/ability";
import { assertCan } from "../access/ability";
import { fieldError, forbidden, notFound, PlatformError, validationFailed, type Localized } from "../errors";
import type { AppAbility, PlatformContext, PlatformServiceSchema } from "../plugins/types";
import type { Tenant } from "../tenancy/tree";
import type { FormRegistry } from "./registry";

export const OVERLAY_CHANGED = "forms.overlay.changed";
// A node that missed a change (it was restarting, say) catches up within this.
const REFRESH_MS = 30_000;
// How long saving an overlay waits for the other nodes to confirm they have read it.
const CONFIRM_MS = 2_000;

const TENANT: Localized = { "zh-CN": "区划", en: "tenant" };
const OVERLAY: Localized = { "zh-CN": "表单覆盖", en: "form overlay" };

/**
 * The forms API (core routes, under /api):
 *   GET /forms                               the loaded forms: id, plugin, title, version (public)
 *   GET /forms/:id[?tenant=]                 the effective schema and uiSchema for the caller's
 *                                            tenant (or ?tenant=; anonymous: the base form)
 *   GET /forms/:id/versions/:version         one stored version, as it was
 *   GET /forms/:id/overlays/:tenant          a tenant's overlay, its history and what no longer fits
 *   PUT /forms/:id/overlays/:tenant          a new version of it (tenant administrators)
 * `name` exists for tests that run a second registry beside the kernel's.
 */
export function formsService(registry: FormRegistry, opts: { name?: string } = {}): PlatformServiceSchema {
  const name = opts.name ?? "forms";
  const { tree } = registry;
  let refresher: NodeJS.Timeout | undefined;

  const onPlatform = (code: string, onUnknown: "404" | "400"): Tenant => {
    const t = tree.get(code);
    if (!t) {
      if (onUnknown === "404") throw notFound(TENANT);
      throw validationFailed([fieldError("/tenant", "tenant", `区划 ${code} 不在本平台`, `${code} is not a tenant of this platform`)]);
    }
    if (t.onPlatform === false) {
      throw new PlatformError("NOT_FOUND", { "zh-CN": `${t.name["zh-CN"]}使用自己的平台，不在本平台上`, en: `${t.name.en} runs its own platform and is not on this one` });
    }
    return t;
  };
  const formOr404 = (id: string) => {
    if (!registry.has(id)) throw new PlatformError("NOT_FOUND", { "zh-CN": "未找到该表单", en: "No such form" });
  };

  /** Asks every other node to re-read the overlays, and waits (at most CONFIRM_MS); returns those that did not confirm. */
  async function reloadEverywhere(ctx: PlatformContext): Promise<string[]> {
    type Endpoints = { endpoints: Array<{ id: string; local: boolean; isAvailable: boolean }> } | undefined;
    const reg = ctx.broker.registry as unknown as { getActionEndpoints(name: string): Endpoints };
    const others = (reg.getActionEndpoints(`${name}.reload`)?.endpoints ?? []).filter((e) => !e.local && e.isAvailable).map((e) => e.id);
    const results = await Promise.allSettled(others.map((nodeID) => ctx.call(`${name}.reload`, {}, { nodeID, timeout: CONFIRM_MS, retries: 0 })));
    const failed = others.filter((_, i) => results[i].status === "rejected");
    if (failed.length) ctx.broker.logger.warn(`form overlay change not yet confirmed by ${failed.join(", ")}; they catch up within ${REFRESH_MS / 1000} s`);
    return failed;
  }

  return {
    name,
    actions: {
      list: {
        rest: "GET /forms",
        kind: "read",
        permission: "public",
        handler() {
          return registry.list();
        },
      },

      get: {
        rest: "GET /forms/:id",
        kind: "read",
        permission: "public",
        handler(ctx: PlatformContext<{ id: string; tenant?: string }>) {
          formOr404(ctx.params.id);
          const code = ctx.params.tenant || ctx.meta.user?.tenantCode || null;
          if (code) onPlatform(code, "404");
          return { tenant: code, ...registry.effective(ctx.params.id, code) };
        },
      },

      version: {
        rest: "GET /forms/:id/versions/:version",
        kind: "read",
        permission: "public",
        async handler(ctx: PlatformContext<{ id: string; version: string }>) {
          const version = /^[1-9][0-9]{0,8}$/.test(ctx.params.version) ? Number(ctx.params.version) : NaN;
          const stored = Number.isFinite(version) ? await registry.storedVersion(ctx.params.id, version) : null;
          if (!stored) throw new PlatformError("NOT_FOUND", { "zh-CN": "未找到该表单版本", en: "No such form version" });
          return stored;
        },
      },

      overlay: {
        rest: "GET /forms/:id/overlays/:tenant",
        kind: "read",
        permission: ["read", "FormOverlay"],
        async handler(ctx: PlatformContext<{ id: string; tenant: string }>) {
          const { id, tenant } = ctx.params;
          formOr404(id);
          onPlatform(tenant, "404");
          assertCan(ctx.locals.ability as AppAbility, "read", "FormOverlay", { tenantCode: tenant, formId: id }, OVERLAY);
          return { formId: id, tenant, ...(await registry.overlayOf(id, tenant)) };
        },
      },

      putOverlay: {
        rest: "PUT /forms/:id/overlays/:tenant",
        kind: "continue",
        permission: ["update", "FormOverlay"],
        async handler(ctx: PlatformContext<Record<string, unknown> & { id: string; tenant: string }>) {
          // The body is the overlay document; route parameters, ?lang and expectedVersion are not part of it.
          const { id, tenant, lang: _lang, expectedVersion, ...document } = ctx.params;
          void _lang;
          formOr404(id);
          const t = onPlatform(tenant, "400");
          if (!(ctx.locals.ability as AppAbility).can("update", subject("FormOverlay", { tenantCode: t.code, formId: id }))) throw forbidden();
          if (expectedVersion !== undefined && !(Number.isInteger(expectedVersion) && (expectedVersion as number) >= 0)) {
            throw validationFailed([fieldError("/expectedVersion", "type", "应为不小于 0 的整数", "must be a whole number, 0 or more")]);
          }
          const user = ctx.meta.user!;
          const saved = await registry.putOverlay(id, t.code, document, { id: user.id, username: user.username, tenant: user.tenantCode }, expectedVersion as number | undefined);
          const unconfirmed = await reloadEverywhere(ctx);
          ctx.emit(OVERLAY_CHANGED, { formId: id, tenant: t.code, version: saved.record.version });
          const { effective } = saved;
          return {
            formId: id,
            tenant: t.code,
            version: saved.record.version,
            document: saved.record.document,
            baseVersion: saved.record.baseVersion,
            effective: { version: effective.version, overlays: effective.overlays },
            // overlays below this tenant that the change leaves partly without effect
            descendants: saved.descendants,
            unconfirmed,
          };
        },
      },

      reload: {
        // Internal: a node re-reads the overlays when another has saved one. Not routed.
        visibility: "public",
        kind: "read",
        permission: "authenticated",
        async handler() {
          await registry.reload();
          return true;
        },
      },
    },
    started() {
      refresher = setInterval(() => void registry.reload().catch(() => {}), REFRESH_MS);
      refresher.unref();
    },
    stopped() {
      clearInterval(refresher);
    },
  } as PlatformServiceSchema;
}
