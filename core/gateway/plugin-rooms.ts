import type { ServiceBroker } from "moleculer";
import type { Socket } from "socket.io";
import { PlatformError, toEnvelope, type Lang } from "../errors";
import type { SessionUser } from "../plugins/types";

/**
 * Rooms a plugin owns on the signed-in namespace (core/gateway/README.md, "Plugin rooms"). The
 * gateway knows nothing of what a room is for: a plugin action that declares `room: true` decides
 * who may join (it is called as the user, through every gate a REST call passes) and names the
 * room; the plugin then sends to it with `toRoom()` and hears of sockets leaving through the
 * `sockets.left` event.
 *
 *   client → `join`  { action: "<service>.<action>", params } ack: the action's answer, or an error envelope
 *   client → `leave` { room } ack: { room, joined: false }
 */

/** What a plugin's join action answers: the room, which must start with "<its service>:", and anything else for the client. */
export interface RoomJoin {
  room: string;
  [k: string]: unknown;
}

/** `sockets.room` (a broadcast to every gateway node): one event to every socket in a plugin's room. */
export interface RoomMessage {
  room: string;
  event: string;
  data: unknown;
}

/** `sockets.left` (emitted, one listener per service): a socket left a plugin's room (leave, disconnect, session end). */
export interface RoomLeft {
  room: string;
  account: string;
  socketId: string;
}

/** The socket.io room of a plugin's room: never one of the kernel's own (user:, unit:, ...). */
export const pluginRoom = (room: string) => `plugin:${room}`;

/** A plugin sends one event to everyone in its room, on every gateway node. */
export function toRoom(broker: ServiceBroker, room: string, event: string, data: unknown): Promise<void> {
  return broker.broadcast("sockets.room", { room, event, data } satisfies RoomMessage).then(
    () => {},
    (err: Error) => broker.getLogger("sockets").warn(`${event} for room ${room} not sent: ${err.message}`),
  );
}

const MAX_ROOMS = 16;

const noSuchRoom = () => new PlatformError("NOT_FOUND", { "zh-CN": "没有这个实时频道", en: "No such live room" });

/** Whether the action, on any node, declares `room: true` (custom action properties travel in the registry). */
function declaresRoom(broker: ServiceBroker, name: string): boolean {
  const list = (broker.registry as unknown as { getActionList(o: object): Array<{ name: string; action?: { room?: unknown } }> }).getActionList({ onlyAvailable: true, skipInternal: true });
  return list.some((a) => a.name === name && a.action?.room === true);
}

/** Wires `join`/`leave` on a signed-in socket; the socket's `disconnecting` reports each room it leaves. */
export function servePluginRooms(broker: ServiceBroker, socket: Socket, who: () => { user: SessionUser; lang: Lang }): void {
  const joined = new Set<string>();
  const left = (room: string) => {
    if (!joined.delete(room)) return;
    void broker.emit("sockets.left", { room, account: who().user.id, socketId: socket.id } satisfies RoomLeft);
  };
  socket.on("join", async (arg: unknown, ack?: unknown) => {
    const reply = typeof ack === "function" ? (ack as (v: unknown) => void) : () => {};
    const { user, lang } = who();
    try {
      const { action, params } = (arg && typeof arg === "object" ? arg : {}) as { action?: unknown; params?: unknown };
      if (typeof action !== "string" || !declaresRoom(broker, action)) throw noSuchRoom();
      if (joined.size >= MAX_ROOMS) throw new PlatformError("CONFLICT", { "zh-CN": `同时最多加入 ${MAX_ROOMS} 个实时频道`, en: `At most ${MAX_ROOMS} live rooms at a time` });
      const answer = (await broker.call(action, params && typeof params === "object" ? params : {}, { meta: { user, socketId: socket.id, lang } })) as RoomJoin;
      // a plugin names rooms only under its own service: it cannot listen in on another's
      const owner = action.slice(0, action.lastIndexOf("."));
      if (!answer || typeof answer.room !== "string" || !answer.room.startsWith(`${owner}:`)) throw new Error(`${action} answered no room of its own`);
      if (!socket.connected) return left(answer.room);
      socket.join(pluginRoom(answer.room));
      joined.add(answer.room);
      reply(answer);
    } catch (err) {
      reply(toEnvelope(err, lang).body);
    }
  });
  socket.on("leave", (arg: unknown, ack?: unknown) => {
    const room = arg && typeof arg === "object" ? (arg as { room?: unknown }).room : arg;
    if (typeof room === "string" && joined.has(room)) {
      void socket.leave(pluginRoom(room));
      left(room);
    }
    if (typeof ack === "function") (ack as (v: unknown) => void)({ room, joined: false });
  });
  socket.on("disconnecting", () => [...joined].forEach(left));
}
