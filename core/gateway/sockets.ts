import type { Server as HttpServer } from "node:http";
import type { Knex } from "knex";
import type { Context, ServiceBroker, ServiceSchema } from "moleculer";
import { Server, type Namespace, type Socket } from "socket.io";
import { PlatformError, passwordChangeRequired, pickLang, toEnvelope, unauthenticated, type Lang } from "../errors";
import { abilityCache } from "../broker/middlewares";
import { followInstance, readableFollows, rooms, unfollowInstance, type PublicEvent, type PushEvent, type PushItem, type ReadEvent, type RoomsEvent } from "../events/notifications";
import { inboxAfter, unreadCount, type InboxItem, type NotificationView } from "../events/inbox";
import type { Tokens } from "../identity/tokens";
import type { Sessions } from "../identity/sessions";
import type { PluginManifest, SessionUser } from "../plugins/types";
import type { TenantTree } from "../tenancy/tree";
import type { Kernel } from "../kernel";
import { SECURITY_HEADERS } from "./headers";
import { pluginRoom, servePluginRooms, type RoomMessage } from "./plugin-rooms";

/**
 * socket.io on the gateway's port (core/gateway/README.md, "Live notifications").
 *
 *   namespace "/"        signed-in users; handshake `auth: { token, lastId? }`; the server joins
 *                        the socket to its rooms (account, session, tenant, role within tenant,
 *                        unit, followed instances); sends `notifications` (a list, in id
 *                        order), `read`, `ready`,
 *                        `session-ended`; takes `follow` / `unfollow` { instanceId } with an ack,
 *                        and `join` / `leave` for rooms plugins own (./plugin-rooms.ts)
 *   namespace "/public"  anyone; `subscribe` { tenants: [...] } → what plugins announce to
 *                        everybody (the portal's `notice`) of those tenants and the tenants below them
 *
 * What a node's sockets receive comes as Moleculer broadcasts (notifications.push, .public, .read,
 * .rooms; identity.sessions.revoked), so a client on any gateway node gets what any node raised.
 */

export interface SocketsOptions {
  /**
   * Messages, and bytes, waiting for one connection before it is cut off (a stalled or very slow
   * client): it reconnects and catches up from its inbox; the others never wait for it.
   */
  maxBufferedPackets?: number;
  maxBufferedBytes?: number;
  /** catch-up rows per page; the next page waits until the previous one is written out */
  catchUpPage?: number;
  /** rows a reconnecting client gets over the socket; beyond, `ready.complete` is false and it pages through the API */
  catchUpMax?: number;
  /** how often open sockets' sessions are checked against the database (a revocation this node did not hear of) */
  sessionCheckMs?: number;
  /** public feeds one socket may follow */
  maxFeeds?: number;
  /**
   * How long a push may wait for the one committed before it (PushEvent.after) that has not arrived
   * yet (written on another node, still on its way); then it goes anyway.
   */
  orderWaitMs?: number;
}

export interface SocketsDeps {
  knex: Knex;
  tokens: Pick<Tokens, "verify">;
  sessions: Pick<Sessions, "isActive">;
  tree: TenantTree;
  plugins: () => PluginManifest[];
  broker: ServiceBroker;
  log: (line: string) => void;
}

/** What a socket of "/" carries. */
interface UserData {
  user: SessionUser;
  /** the token's expiry, seconds since the epoch */
  exp: number;
  lastId?: number;
  lang: Lang;
}

/** A socket that is catching up (live pushes wait in `buffer`) or has just caught up to `floor`. */
interface Special {
  socket: Socket;
  catchingUp: boolean;
  buffer: NotificationView[];
  overflow: boolean;
  /** the highest id the socket got by catch-up: a live push at or below it is a repeat */
  floor: number;
  forgetTimer?: NodeJS.Timeout;
}

/** How long after catch-up a late push (raised before, arriving after) is still recognised as a repeat. */
const REPEAT_WINDOW_MS = 30_000;
const BUFFER_DURING_CATCH_UP = 1000;

export interface SocketStats {
  /** sockets of "/" and "/public" on this node */
  users: number;
  visitors: number;
  /** connections cut off for not reading what was sent to them */
  cutOff: number;
  /** handshakes refused */
  refused: number;
  /** pushes that arrived before the one committed before them, and waited for it */
  heldBack: number;
  /** of those, pushes that went without it (it did not come within `orderWaitMs`) */
  outOfOrder: number;
}

const sessionEnded = () => new PlatformError("UNAUTHENTICATED", { "zh-CN": "登录已失效，请重新登录", en: "The session has ended; sign in again" });

/** The error a refused handshake carries: `err.message` is the code, `err.data` the envelope. */
function refusal(err: unknown, lang: Lang): Error & { data: unknown } {
  const { status, body } = toEnvelope(err, lang);
  return Object.assign(new Error(body.error.code), { data: { status, ...body } });
}

function expiryOf(token: string): number {
  try {
    const exp = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")).exp;
    return typeof exp === "number" ? exp : 0;
  } catch {
    return 0;
  }
}

const withRead = (n: NotificationView): InboxItem => ({ ...n, read: false, readAt: null });

export class LiveSockets {
  readonly io: Server;
  readonly users: Namespace;
  readonly visitors: Namespace;
  private readonly special = new Map<string, Special>();
  private readonly expiry = new Map<string, NodeJS.Timeout>();
  private readonly abilityFor: ReturnType<typeof abilityCache>;
  private readonly sweep: NodeJS.Timeout;
  private readonly o: Required<SocketsOptions>;
  private closed = false;
  private counters = { cutOff: 0, refused: 0, heldBack: 0, outOfOrder: 0 };
  /** the highest notification id pushed so far: the end of the chain of pushes (PushEvent.after) */
  private head: number | undefined;
  /** pushes whose predecessor has not arrived yet, by `after` */
  private held: Array<{ items: PushItem[]; after: number; since: number }> = [];
  private heldTimer: NodeJS.Timeout | undefined;
  private lastCutOffLog = 0;

  constructor(
    server: HttpServer,
    private readonly deps: SocketsDeps,
    options: SocketsOptions = {},
  ) {
    this.o = { maxBufferedPackets: 1000, maxBufferedBytes: 2 * 1024 * 1024, catchUpPage: 100, catchUpMax: 1000, sessionCheckMs: 30_000, maxFeeds: 16, orderWaitMs: 500, ...options };
    this.abilityFor = abilityCache(deps.plugins, deps.tree);
    this.io = new Server(server, {
      serveClient: false,
      // Clients send follows and subscriptions, nothing large.
      maxHttpBufferSize: 16 * 1024,
      connectTimeout: 10_000,
    });
    // engine.io answers its HTTP requests (the polling transport) itself, past the gateway's handler
    this.io.engine.on("headers", (headers: Record<string, string>) => Object.assign(headers, SECURITY_HEADERS));
    // Back-pressure: whatever is emitted to a connection waits in its write buffer while the
    // previous write has not gone out (engine.io hands the transport one batch at a time). A client
    // that does not read lets it grow: cut it off at the limit (it reconnects and catches up from
    // the inbox) rather than hold everything for it. What one connection keeps is thus at most the
    // batch in flight and a full buffer.
    this.io.engine.on("connection", (conn: EngineConnection) => {
      let bytes = 0;
      conn.on("packetCreate", (packet) => {
        bytes += typeof packet.data === "string" ? packet.data.length : (packet.data?.byteLength ?? 0);
        if (conn.writeBuffer.length >= this.o.maxBufferedPackets || bytes >= this.o.maxBufferedBytes) this.cutOff(conn);
      });
      conn.on("flush", () => {
        bytes = 0;
      });
    });

    this.users = this.io.of("/");
    this.users.use((socket, next) => void this.authenticate(socket).then(() => next(), (err) => next(err)));
    this.users.on("connection", (socket) => this.onUser(socket));

    this.visitors = this.io.of("/public");
    this.visitors.on("connection", (socket) => this.onVisitor(socket));

    this.sweep = setInterval(() => void this.checkSessions().catch((err) => deps.log(`[sockets] session check failed: ${(err as Error).message}`)), this.o.sessionCheckMs);
    this.sweep.unref();
  }

  get stats(): SocketStats {
    return { users: this.users.sockets.size, visitors: this.visitors.sockets.size, ...this.counters };
  }

  // ---------------------------------------------------------------- handshake and rooms

  private async authenticate(socket: Socket): Promise<void> {
    const auth = (socket.handshake.auth ?? {}) as { token?: unknown; lastId?: unknown; lang?: unknown };
    const lang = pickLang(socket.handshake.headers["accept-language"] as string | undefined, typeof auth.lang === "string" ? auth.lang : undefined);
    try {
      if (typeof auth.token !== "string" || !auth.token) throw unauthenticated();
      const user = await this.deps.tokens.verify(auth.token); // UNAUTHENTICATED when bad or expired
      if (!(await this.deps.sessions.isActive(user))) throw sessionEnded();
      if (user.mustChangePassword) throw passwordChangeRequired();
      const lastId = typeof auth.lastId === "number" ? auth.lastId : typeof auth.lastId === "string" && auth.lastId.trim() ? Number(auth.lastId) : undefined;
      const data: UserData = { user, exp: expiryOf(auth.token), lang, ...(lastId !== undefined && Number.isSafeInteger(lastId) && lastId >= 0 ? { lastId } : {}) };
      socket.data = data;
    } catch (err) {
      this.counters.refused++;
      throw refusal(err, lang);
    }
  }

  private onUser(socket: Socket): void {
    const { user, exp } = socket.data as UserData;
    // Pushes from now on wait for the catch-up (they are in the inbox too).
    const state: Special = { socket, catchingUp: true, buffer: [], overflow: false, floor: 0 };
    this.special.set(socket.id, state);
    socket.join([
      rooms.user(user.id),
      rooms.session(user.sessionId!),
      rooms.tenant(user.tenantCode),
      ...user.roles.map((r) => rooms.role(user.tenantCode, r)),
      ...(user.unitCode ? [rooms.unit(user.unitCode)] : []),
    ]);
    this.armExpiry(socket, exp);
    socket.on("disconnect", () => {
      clearTimeout(this.expiry.get(socket.id));
      this.expiry.delete(socket.id);
      clearTimeout(this.special.get(socket.id)?.forgetTimer);
      this.special.delete(socket.id);
    });
    socket.on("follow", (arg: unknown, ack?: unknown) => void this.follow(socket, arg, ack, true));
    socket.on("unfollow", (arg: unknown, ack?: unknown) => void this.follow(socket, arg, ack, false));
    servePluginRooms(this.deps.broker, socket, () => socket.data as UserData);
    void this.catchUp(socket, state).catch((err) => {
      this.deps.log(`[sockets] catch-up for ${user.username} failed: ${(err as Error).message}`);
      // Without its catch-up the client would silently miss notifications: let it reconnect.
      if (socket.connected) socket.disconnect(true);
    });
  }

  /** The token's end ends the socket; the client reconnects with a refreshed token (and its lastId). */
  private armExpiry(socket: Socket, exp: number): void {
    if (!exp) return;
    const ms = exp * 1000 - Date.now();
    const timer = setTimeout(() => (Date.now() >= exp * 1000 ? this.end(socket, "expired") : this.armExpiry(socket, exp)), Math.max(0, Math.min(ms, 2 ** 31 - 1)));
    timer.unref();
    this.expiry.set(socket.id, timer);
  }

  private end(socket: Socket, reason: "expired" | "revoked"): void {
    const { lang } = socket.data as UserData;
    const { body } = toEnvelope(sessionEnded(), lang);
    socket.emit("session-ended", { reason, ...body });
    socket.disconnect(true);
  }

  /**
   * Sends what the account was told after `lastId` (or, without one, nothing before now), page by
   * page, each once the previous one is written out; then what was pushed meanwhile and is newer;
   * then `ready`. Ids follow commit order (core/events/inbox.ts), so "after the last id" misses
   * nothing, and a push at or below what catch-up sent is a repeat.
   */
  private async catchUp(socket: Socket, state: Special): Promise<void> {
    const { user, lastId } = socket.data as UserData;
    const { knex } = this.deps;
    // Follows first: a push to a followed instance that arrives while catching up must find the
    // socket in its room.
    const follows = await readableFollows(knex, this.abilityFor(user), user.id);
    if (follows.length) socket.join(follows.map((f) => rooms.instance(f.instanceId)));
    let floor = lastId ?? Number((await knex("core_inbox").where({ account_id: user.id }).max({ max: "notification_id" }))[0]?.max ?? 0);
    let sent = 0;
    let complete = true;
    for (;;) {
      if (!socket.connected || this.closed) return;
      const rows = await inboxAfter(knex, user.id, floor, this.o.catchUpPage);
      if (rows.length) socket.emit("notifications", rows);
      sent += rows.length;
      if (rows.length) floor = rows[rows.length - 1].id;
      if (rows.length < this.o.catchUpPage) {
        // Pushes overflowed the buffer while paging: they are in the inbox; one more round.
        if (!state.overflow) break;
        state.overflow = false;
        state.buffer = [];
        continue;
      }
      if (sent >= this.o.catchUpMax) {
        complete = false;
        break;
      }
      await drained(socket);
    }
    if (!socket.connected || this.closed) return;
    if (complete) {
      const pending = [...new Map(state.buffer.filter((n) => n.id > floor).map((n) => [n.id, n])).values()].sort((a, b) => a.id - b.id);
      if (pending.length) socket.emit("notifications", pending.map(withRead));
      if (pending.length) floor = pending[pending.length - 1].id;
    }
    state.buffer = [];
    state.catchingUp = false;
    state.floor = floor;
    state.forgetTimer = setTimeout(() => this.special.delete(socket.id), REPEAT_WINDOW_MS);
    state.forgetTimer.unref();
    socket.emit("ready", { lastId: floor, caughtUp: sent, complete, unread: await unreadCount(knex, user.id) });
  }

  private async follow(socket: Socket, arg: unknown, ack: unknown, on: boolean): Promise<void> {
    const { user, lang } = socket.data as UserData;
    const reply = typeof ack === "function" ? (ack as (v: unknown) => void) : () => {};
    const instanceId = arg && typeof arg === "object" ? (arg as { instanceId?: unknown }).instanceId : arg;
    try {
      if (on) await followInstance(this.deps.knex, this.deps.broker, this.abilityFor(user), user, instanceId);
      else await unfollowInstance(this.deps.knex, this.deps.broker, user, instanceId);
      reply({ instanceId, following: on });
    } catch (err) {
      reply(toEnvelope(err, lang).body);
    }
  }

  private onVisitor(socket: Socket): void {
    const lang = pickLang(socket.handshake.headers["accept-language"] as string | undefined);
    const feeds = () => [...socket.rooms].filter((r) => r.startsWith("feed:")).map((r) => r.slice(5));
    socket.on("subscribe", (arg: unknown, ack?: unknown) => {
      const reply = typeof ack === "function" ? (ack as (v: unknown) => void) : () => {};
      const raw = arg && typeof arg === "object" && !Array.isArray(arg) ? (arg as { tenants?: unknown }).tenants : arg;
      const tenants = typeof raw === "string" ? [raw] : raw;
      const valid = Array.isArray(tenants) && tenants.every((t) => typeof t === "string" && this.deps.tree.get(t) && this.deps.tree.get(t)!.onPlatform !== false);
      const next = valid ? [...new Set([...feeds(), ...(tenants as string[])])] : [];
      if (!valid || next.length > this.o.maxFeeds) {
        const problem = valid ? `at most ${this.o.maxFeeds} feeds` : "tenants must be codes of tenants on this platform";
        return reply(toEnvelope(new PlatformError("VALIDATION_FAILED", { "zh-CN": "订阅的地区无效", en: `Invalid subscription: ${problem}` }), lang).body);
      }
      socket.join((tenants as string[]).map(rooms.feed));
      reply({ feeds: feeds() });
    });
    socket.on("unsubscribe", (arg: unknown, ack?: unknown) => {
      const raw = arg && typeof arg === "object" && !Array.isArray(arg) ? (arg as { tenants?: unknown }).tenants : arg;
      for (const t of typeof raw === "string" ? [raw] : Array.isArray(raw) ? raw : []) if (typeof t === "string") socket.leave(rooms.feed(t));
      if (typeof ack === "function") (ack as (v: unknown) => void)({ feeds: feeds() });
    });
  }

  // ---------------------------------------------------------------- what the cluster tells this node

  /**
   * Notifications written (on any node), in commit order: a push whose predecessor (`after`, the
   * highest id committed before it) has not been emitted here yet waits for it, at most
   * `orderWaitMs`. Two notifications committed a few milliseconds apart on different nodes thus
   * reach each client in id order, and the client's newest id (what it reconnects with) never passes
   * one it has not been sent. A push without `after` goes at once.
   */
  push(items: PushItem[], after?: number): void {
    if (this.closed || !items.length) return;
    if (after === undefined || this.head === undefined || after <= this.head) {
      this.emitPush(items);
      this.releaseHeld(false);
      return;
    }
    this.counters.heldBack++;
    const at = this.held.findIndex((h) => h.after > after);
    this.held.splice(at < 0 ? this.held.length : at, 0, { items, after, since: Date.now() });
    this.armHeld();
  }

  /**
   * Emits the held pushes whose turn has come, in order; with `late`, also those that waited
   * `orderWaitMs` (and the ones before them).
   */
  private releaseHeld(late: boolean): void {
    const now = Date.now();
    let lastDue = -1;
    if (late) this.held.forEach((h, i) => now - h.since >= this.o.orderWaitMs && (lastDue = i));
    for (let i = 0; this.held.length; i++) {
      const first = this.held[0];
      if (first.after > this.head!) {
        if (i > lastDue) break;
        this.counters.outOfOrder++;
      }
      this.held.shift();
      this.emitPush(first.items);
    }
    this.armHeld();
  }

  private armHeld(): void {
    clearTimeout(this.heldTimer);
    this.heldTimer = undefined;
    if (!this.held.length || this.closed) return;
    const oldest = Math.min(...this.held.map((h) => h.since));
    this.heldTimer = setTimeout(() => this.releaseHeld(true), Math.max(0, oldest + this.o.orderWaitMs - Date.now()));
    this.heldTimer.unref();
  }

  /**
   * Consecutive notifications with the same rooms (a batch from one source) go as one message: one
   * encoding and one frame per socket for the lot, which is most of the cost of a burst, here and in
   * the browser. Each socket still gets them in id order.
   */
  private emitPush(items: PushItem[]): void {
    for (const { notification: n } of items) if (this.head === undefined || n.id > this.head) this.head = n.id;
    for (let i = 0; i < items.length; ) {
      const targets = [...new Set(items[i].rooms ?? [])].sort();
      const key = targets.join("\n");
      const group: NotificationView[] = [];
      for (; i < items.length && [...new Set(items[i].rooms ?? [])].sort().join("\n") === key; i++) group.push(items[i].notification);
      // No rooms would mean every socket of the namespace to socket.io.
      if (targets.length) this.pushGroup(group, targets);
    }
  }

  private pushGroup(group: NotificationView[], targets: string[]): void {
    const except: string[] = [];
    const lowest = Math.min(...group.map((n) => n.id));
    for (const [id, s] of this.special) {
      // (a live push is newer than any catch-up: only a late one needs the socket's attention)
      if (!(s.catchingUp || lowest <= s.floor) || !targets.some((r) => s.socket.rooms.has(r))) continue;
      except.push(id);
      if (s.catchingUp) {
        if (s.buffer.length + group.length <= BUFFER_DURING_CATCH_UP) s.buffer.push(...group);
        else s.overflow = true;
      } else {
        // just caught up: what catch-up already sent is not sent again
        const fresh = group.filter((n) => n.id > s.floor);
        if (fresh.length) s.socket.emit("notifications", fresh.map(withRead));
      }
    }
    // One encoding for every recipient (socket.io's broadcast), however many there are.
    const op = this.users.to(targets);
    (except.length ? op.except(except) : op).emit("notifications", group.map(withRead));
  }

  publish(ev: PublicEvent): void {
    if (!this.closed && ev.feeds.length) this.visitors.to(ev.feeds).emit(ev.event, ev.item);
  }

  /** A plugin's event to its room (plugin-rooms.ts `toRoom`). */
  toRoom(ev: RoomMessage): void {
    if (!this.closed) this.users.to(pluginRoom(ev.room)).emit(ev.event, ev.data);
  }

  read(ev: ReadEvent): void {
    if (!this.closed) this.users.to(rooms.user(ev.account)).emit("read", { ids: ev.ids, unread: ev.unread });
  }

  rooms(ev: RoomsEvent): void {
    if (this.closed) return;
    const mine = this.users.in(rooms.user(ev.account));
    if (ev.join?.length) mine.socketsJoin(ev.join);
    if (ev.leave?.length) mine.socketsLeave(ev.leave);
  }

  /** Sessions ended (sign-out, password change, disabled account, ...): their sockets go. */
  revoked(sessionIds: string[]): void {
    for (const sid of sessionIds) {
      for (const id of [...(this.users.adapter.rooms.get(rooms.session(sid)) ?? [])]) {
        const socket = this.users.sockets.get(id);
        if (socket) this.end(socket, "revoked");
      }
    }
  }

  /** A revocation this node did not hear of (NATS was away): found within `sessionCheckMs`. */
  async checkSessions(): Promise<void> {
    const sids = [...new Set([...this.users.sockets.values()].map((s) => (s.data as UserData).user.sessionId!))];
    for (let i = 0; i < sids.length; i += 5000) {
      const chunk = sids.slice(i, i + 5000);
      const { rows } = await this.deps.knex.raw(`select id from core_sessions where id = any(?::uuid[]) and revoked_at is null and expires_at > now()`, [chunk]);
      const open = new Set((rows as Array<{ id: string }>).map((r) => r.id));
      this.revoked(chunk.filter((sid) => !open.has(sid)));
    }
  }

  private cutOff(conn: EngineConnection): void {
    this.counters.cutOff++;
    if (Date.now() - this.lastCutOffLog > 60_000) {
      this.lastCutOffLog = Date.now();
      this.deps.log(`[sockets] a client did not read what waited for it (${this.o.maxBufferedPackets} messages or ${this.o.maxBufferedBytes} bytes): connection closed (it reconnects and catches up); ${this.counters.cutOff} so far`);
    }
    // Drop what waits and the TCP connection now, not after a polite close that would never drain.
    conn.transport.socket?.terminate?.();
    conn.close(true);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweep);
    clearTimeout(this.heldTimer);
    this.held = [];
    for (const t of this.expiry.values()) clearTimeout(t);
    for (const s of this.special.values()) clearTimeout(s.forgetTimer);
    // Connections are dropped, not closed politely: clients take it for a lost connection and
    // reconnect (to another node, behind a load balancer) and catch up; and nothing here waits for
    // a close handshake or a client's next poll (engine.io would for 30 s).
    for (const conn of Object.values((this.io.engine as unknown as { clients: Record<string, EngineConnection> }).clients)) {
      conn.transport.socket?.terminate?.();
      conn.close(true);
    }
    // Not io.close(): that would close moleculer-web's HTTP server too, which is moleculer-web's to close.
    this.io.engine.close();
  }
}

/** engine.io's connection as this module uses it (its typings keep these private). */
interface EngineConnection {
  writeBuffer: unknown[];
  transport: { writable: boolean; socket?: { terminate?: () => void }; once(event: "ready", fn: () => void): void };
  on(event: "packetCreate", fn: (packet: { data?: string | { byteLength: number } }) => void): void;
  on(event: "flush", fn: () => void): void;
  close(discard?: boolean): void;
}

/** Resolves once what was emitted to the socket has been written out (or it is gone; at most 10 s). */
function drained(socket: Socket): Promise<void> {
  const conn = socket.conn as unknown as EngineConnection;
  if (!conn.writeBuffer.length && conn.transport.writable) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, 10_000);
    function done() {
      clearTimeout(timer);
      socket.off("disconnect", done);
      resolve();
    }
    socket.once("disconnect", done);
    // "ready": the transport has written its batch and is writable again (engine.io flushes what
    // waits on the same event, before this listener).
    const check = () => (!socket.connected || (!conn.writeBuffer.length && conn.transport.writable) ? done() : conn.transport.once("ready", check));
    conn.transport.once("ready", check);
  });
}

export function attachSockets(kernel: Pick<Kernel, "db" | "identity" | "tenancy" | "registry" | "broker">, server: HttpServer, options?: SocketsOptions): LiveSockets {
  const logger = kernel.broker.getLogger("sockets");
  return new LiveSockets(
    server,
    {
      knex: kernel.db.knex,
      tokens: kernel.identity.tokens,
      sessions: kernel.identity.sessions,
      tree: kernel.tenancy.tree,
      plugins: () => kernel.registry.plugins.map((p) => p.manifest),
      broker: kernel.broker,
      log: (line) => logger.warn(line),
    },
    options,
  );
}

type GatewayThis = { server: HttpServer; sockets?: LiveSockets };

/**
 * What the gateway service mixes in: socket.io on its HTTP server once it listens, closed before
 * the server is (moleculer-web's close waits for open connections), and the cluster's broadcasts
 * turned into emits. List it before moleculer-web's mixin (`mixins: [socketsMixin(kernel),
 * ApiGateway]`): its `started` then runs after moleculer-web's (the server listens) and its
 * `stopped` before moleculer-web's (Moleculer runs `stopped` hooks in reverse).
 */
export function socketsMixin(kernel: Kernel, options?: SocketsOptions): Partial<ServiceSchema> {
  const on = <P>(fn: (sockets: LiveSockets, params: P) => void) => ({
    context: true,
    handler(this: GatewayThis, ctx: Context<P>) {
      if (this.sockets) fn(this.sockets, ctx.params);
    },
  });
  return {
    started(this: GatewayThis) {
      this.sockets = attachSockets(kernel, this.server, options);
    },
    async stopped(this: GatewayThis) {
      await this.sockets?.close();
      this.sockets = undefined;
    },
    events: {
      "notifications.push": on<PushEvent>((s, p) => s.push(Array.isArray(p?.items) ? p.items : [], typeof p?.after === "number" ? p.after : undefined)),
      "notifications.public": on<PublicEvent>((s, p) => typeof p?.event === "string" && !!p.item && Array.isArray(p.feeds) && s.publish(p)),
      "sockets.room": on<RoomMessage>((s, p) => typeof p?.room === "string" && typeof p.event === "string" && s.toRoom(p)),
      "notifications.read": on<ReadEvent>((s, p) => p?.account && s.read(p)),
      "notifications.rooms": on<RoomsEvent>((s, p) => p?.account && s.rooms(p)),
      "identity.sessions.revoked": on<{ ids?: unknown }>((s, p) => Array.isArray(p?.ids) && s.revoked(p.ids.filter((id): id is string => typeof id === "string"))),
    },
  } as unknown as Partial<ServiceSchema>;
}
