import type { Context, Service } from "moleculer";
import { announcePublic, isUuid, receiveOnce, type OutboxEvent, type PlatformServiceSchema, type PluginServiceThis } from "../../../core/sdk";
import { TenantDirectory, type TenantEntry } from "./tenants";

/** Receipts of this consumer: a publication reaches the feeds once, however often it is delivered. */
const CONSUMER = "portal.feed";
/** The socket event visitors' browsers listen to (web/src/portal/notices.tsx). */
export const FEED_EVENT = "notice";

const NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/i;

type This = Service & PluginServiceThis & { tenants: TenantDirectory };

/** The tenant itself first, then the tenants above it: a visitor following any of them hears it. */
export function lineageOf(code: string, tenants: Map<string, TenantEntry>): string[] {
  if (!tenants.has(code)) return [];
  const above = [...tenants.values()].filter((t) => t.code !== code && t.subtree.includes(code));
  // a tenant above another has the longer subtree: nearest first
  return [code, ...above.sort((a, b) => a.subtree.length - b.subtree.length).map((t) => t.code)];
}

/** What a visitor's socket is sent for a `portal.publish` event, or why nothing is. */
export function feedItemOf(event: OutboxEvent<unknown> | undefined, tenants: Map<string, TenantEntry>): { lineage: string[]; item: Record<string, unknown> } | string {
  if (!isUuid(event?.eventId)) return "no eventId: not an outbox event";
  const r = (event!.data && typeof event!.data === "object" ? event!.data : {}) as Record<string, unknown>;
  const lineage = typeof r.tenantCode === "string" ? lineageOf(r.tenantCode, tenants) : [];
  if (!lineage.length) return `tenantCode ${JSON.stringify(r.tenantCode)} is not a tenant`;
  if (typeof r.notice !== "string" || !NAME.test(r.notice)) return "notice must name the kind of notice";
  const body = (r.data && typeof r.data === "object" ? r.data : {}) as Record<string, unknown>;
  const title = [r.title, body.title, body.projectName, body.name].find((v): v is string => typeof v === "string" && !!v.trim()) ?? null;
  return {
    lineage,
    item: {
      id: event!.eventId,
      notice: r.notice,
      tenantCode: r.tenantCode,
      instanceId: isUuid(r.instanceId) ? r.instanceId : null,
      workflowId: typeof r.workflowId === "string" ? r.workflowId : null,
      title: title ? title.slice(0, 500) : null,
      at: typeof event!.at === "string" ? event!.at : new Date().toISOString(),
    },
  };
}

/**
 * Live news for visitors: each publication, once committed, goes to the anonymous feeds of its
 * tenant and the tenants above it. Apart from `portal.notices` because a feed is told at once and
 * at most once (a receipt of its own), while the notice's row is written by the durable queue.
 */
export const feedService: PlatformServiceSchema = {
  name: "portal.feed",
  created(this: This) {
    this.tenants = new TenantDirectory();
  },
  events: {
    "portal.publish": {
      context: true,
      async handler(this: This, ctx: Context<OutboxEvent>) {
        const out = feedItemOf(ctx.params, await this.tenants.get(ctx));
        if (typeof out === "string") {
          this.logger.warn(`portal.publish ${ctx.params?.eventId ?? "(no id)"} not announced: ${out}`);
          return;
        }
        if (!(await receiveOnce(this.db, CONSUMER, out.item.id as string))) return;
        await announcePublic(this.broker, out.lineage, FEED_EVENT, out.item);
      },
    },
  },
};
