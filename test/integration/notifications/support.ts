import path from "node:path";
import { io, type Socket } from "socket.io-client";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import type { NotificationRequest } from "../../../core/events/notifications";
import { enqueue } from "../../../core/events/outbox";
import type { OutboxRelay } from "../../../core/events/relay";
import type { InboxItem } from "../../../core/events/inbox";
import type { LiveSockets } from "../../../core/gateway/sockets";
import { usernameKey } from "../../../core/identity/accounts";
import type { Kernel } from "../../../core/kernel";
import type { SessionUser } from "../../../core/plugins/types";

const FIXTURES = path.resolve(__dirname, "../../fixtures");

/** The kernel's outbox relay, which carries notifications.requested and portal.publish to the notifications service. */
export async function wireNotifications(kernel: Kernel): Promise<OutboxRelay> {
  if (!kernel.outbox) throw new Error("this platform runs no outbox relay (OUTBOX_RELAY=off?)");
  return kernel.outbox;
}

export interface Person {
  id: string;
  token: string;
  user: SessionUser;
}

export interface NotifyPlatform extends TestPlatform {
  relay: OutboxRelay;
  /** the gateway's socket.io side */
  sockets(): LiveSockets;
  /** an account with an open session, as if it had signed in */
  person(u: { roles: string[]; tenantCode: string; unitCode?: string; username?: string }): Promise<Person>;
  /** `notifications.requested` through the outbox, as a plugin raises it; its event id */
  raise(request: Partial<NotificationRequest> & { tenantCode: string }, key?: string): Promise<string>;
}

let seq = 0;

/** A platform (workflow fixtures: the etrading tender) with notifications wired and a relay. */
export async function notifyPlatform(): Promise<NotifyPlatform> {
  const platform = await startTestPlatform({ pluginsDir: path.join(FIXTURES, "workflow-plugins"), formsDir: path.join(FIXTURES, "workflow-forms"), deadlineCheckMs: 60_000 });
  const { kernel } = platform;
  const relay = await wireNotifications(kernel);
  return {
    ...platform,
    relay,
    sockets: () => (kernel.broker.getLocalService("gateway") as unknown as { sockets: LiveSockets }).sockets,
    async person(u) {
      const username = u.username ?? `p${++seq}-${Math.random().toString(36).slice(2, 8)}`;
      const [row] = await kernel.db
        .knex("core_accounts")
        .insert({ username, username_key: usernameKey(username), display_name: username, tenant_code: u.tenantCode, unit_code: u.unitCode ?? null, roles: u.roles })
        .returning("*");
      const signed = await kernel.identity.sessionFor(row);
      return { id: row.id, token: signed.token, user: await kernel.identity.tokens.verify(signed.token) };
    },
    async raise(request, key) {
      const payload = { title: { "zh-CN": `通知 ${++seq}`, en: `Notice ${seq}` }, ...request };
      const { eventId } = await kernel.db.knex.transaction((trx) => enqueue(trx, { event: "notifications.requested", payload, key: key ?? null }));
      return eventId;
    },
    async stop() {
      if (relay !== (kernel as { outbox?: OutboxRelay }).outbox) await relay.stop();
      await platform.stop();
    },
  };
}

/** A browser tab: a socket.io client and everything it received. */
export interface Tab {
  socket: Socket;
  got: InboxItem[];
  ready: Array<{ lastId: number; caughtUp: number; complete: boolean; unread: number }>;
  reads: Array<{ ids: number[]; unread: number }>;
  ended: Array<{ reason: string; error: { code: string } }>;
  disconnects: string[];
  /** the highest id received: what a reconnect sends as lastId */
  lastId(): number;
  close(): void;
}

export function tab(baseUrl: string, auth: Record<string, unknown> | (() => Record<string, unknown>), opts: { reconnection?: boolean; transports?: string[] } = {}): Tab {
  const t: Tab = {
    got: [],
    ready: [],
    reads: [],
    ended: [],
    disconnects: [],
    socket: io(baseUrl, {
      auth: typeof auth === "function" ? (cb) => cb(auth()) : auth,
      transports: opts.transports ?? ["websocket"],
      reconnection: opts.reconnection ?? false,
      reconnectionDelay: 50,
      reconnectionDelayMax: 200,
      forceNew: true,
    }),
    lastId: () => t.got.reduce((m, n) => Math.max(m, n.id), 0),
    close: () => void t.socket.close(),
  };
  t.socket.on("notifications", (list: InboxItem[]) => t.got.push(...list));
  t.socket.on("ready", (r: Tab["ready"][number]) => t.ready.push(r));
  t.socket.on("read", (r: Tab["reads"][number]) => t.reads.push(r));
  t.socket.on("session-ended", (e: Tab["ended"][number]) => t.ended.push(e));
  t.socket.on("disconnect", (reason: string) => t.disconnects.push(reason));
  return t;
}

/** The error a refused handshake gives the client. */
export function refused(socket: Socket): Promise<{ message: string; data?: { status: number; error: { code: string; message: string } } }> {
  return new Promise((resolve, reject) => {
    socket.once("connect", () => reject(new Error("the handshake was accepted")));
    socket.once("connect_error", (err: Error & { data?: never }) => resolve({ message: err.message, data: err.data }));
  });
}

export async function until(what: string, ok: () => boolean, timeoutMs = 10_000, show: () => unknown = () => ""): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms; ${JSON.stringify(show())}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Connected, joined to its rooms and caught up. */
export async function readyTab(baseUrl: string, auth: Record<string, unknown> | (() => Record<string, unknown>), opts?: Parameters<typeof tab>[2]): Promise<Tab> {
  const t = tab(baseUrl, auth, opts);
  await until("socket ready", () => t.ready.length > 0, 10_000, () => t.disconnects);
  return t;
}
