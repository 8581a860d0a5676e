import crypto from "node:crypto";
import fs from "node:fs";
import { enqueue } from "../../../core/events/outbox";
import { poll } from "../../support/http";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";

export const CONSUMER = "portal.notices";

/**
 * A platform with the portal as its only plugin (a plugins folder holding a link to it): the
 * portal needs no other plugin, and other plugins' work in progress cannot stop its tests.
 */
export async function startPortalPlatform(): Promise<TestPlatform> {
  const pluginsDir = linkPlugins(["portal"], "portal-plugins");
  try {
    const platform = await startTestPlatform({ pluginsDir });
    return {
      ...platform,
      async stop() {
        try {
          await platform.stop();
        } finally {
          fs.rmSync(pluginsDir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    fs.rmSync(pluginsDir, { recursive: true, force: true });
    throw err;
  }
}

export interface Notice {
  instanceId?: string;
  notice?: string;
  tenantCode?: string;
  title?: string;
  unitName?: string | null;
  version?: number;
  data?: Record<string, unknown>;
  [extra: string]: unknown;
}

/** What the workflow engine writes for a `portal.publish` effect (the contract the portal reads). */
export function publishPayload(n: Notice = {}) {
  return {
    instanceId: n.instanceId ?? crypto.randomUUID(),
    workflowId: "etrading.tender",
    plugin: "etrading",
    tenantCode: "441300",
    ownerUnit: "441300001",
    state: "published",
    transition: "publish",
    version: 2,
    notice: "tender",
    title: "惠州市财政局办公设备采购项目招标公告",
    unitName: "惠州市财政局",
    data: { projectName: "办公设备采购项目" },
    ...n,
  };
}

type PortalEvent = "portal.publish" | "portal.withdraw";

/** Writes an event to the outbox in a transaction of its own, as the workflow engine does; its id. */
export async function enqueued(platform: TestPlatform, event: PortalEvent, payload: { instanceId: string; [field: string]: unknown }): Promise<string> {
  const { eventId } = await platform.kernel.db.knex.transaction((trx) => enqueue(trx, { event, payload, key: payload.instanceId }));
  return eventId;
}

/** Announces an event the way a business transaction does, and waits until the portal has handled it. */
export async function announce(platform: TestPlatform, event: PortalEvent, payload: { instanceId: string; [field: string]: unknown }) {
  const knex = platform.kernel.db.knex;
  const eventId = await enqueued(platform, event, payload);
  await handled(platform, eventId);
  const row = await knex("core_outbox").where({ event_id: eventId }).first("created_at");
  return { eventId, at: new Date(row.created_at).toISOString() };
}

export const publish = (platform: TestPlatform, n: Notice = {}) => {
  const payload = publishPayload(n);
  return announce(platform, "portal.publish", payload).then((r) => ({ ...r, payload }));
};

export const withdraw = (platform: TestPlatform, n: { instanceId: string; notice?: string; version: number; tenantCode?: string }) =>
  announce(platform, "portal.withdraw", { workflowId: "etrading.tender", plugin: "etrading", tenantCode: "441300", notice: "tender", ...n });

export async function handled(platform: TestPlatform, eventId: string) {
  await poll(
    `portal receipt of ${eventId}`,
    () => platform.kernel.db.knex("core_event_receipts").where({ consumer: CONSUMER, event_id: eventId }).first(),
    (row) => !!row,
  );
}

/** GET with the headers (the support's api() reads the body only). */
export async function get(platform: TestPlatform, path: string, token?: string) {
  const res = await fetch(platform.baseUrl + path, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(30_000) });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const body: any = await res.json();
  return { status: res.status, headers: res.headers, body };
}
