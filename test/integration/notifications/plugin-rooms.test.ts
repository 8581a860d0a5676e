import type { Context } from "moleculer";
import { toRoom, type RoomLeft } from "../../../core/sdk";
import { forbidden } from "../../../core/errors";
import { notifyPlatform, readyTab, until, type NotifyPlatform, type Tab } from "./support";

/**
 * Rooms a plugin owns (core/gateway/plugin-rooms.ts): a socket joins through an action that
 * declares `room: true` and decides, as the user, whether it may; the plugin sends to the room; the
 * plugin hears when a socket leaves. The gateway knows nothing of what the room is for.
 */
describe("plugin rooms on the live socket", () => {
  let platform: NotifyPlatform;
  const left: RoomLeft[] = [];
  const opened: Tab[] = [];
  const join = (t: Tab, action: string, params: unknown) => new Promise<Record<string, unknown>>((resolve) => t.socket.emit("join", { action, params }, resolve));

  beforeAll(async () => {
    platform = await notifyPlatform();
    platform.kernel.broker.createService({
      name: "roomy",
      actions: {
        // only the account named "allowed-*" may join; the room is the key asked for
        hall: {
          room: true,
          kind: "read",
          permission: "authenticated",
          handler(ctx: Context<{ key: string }, { user: { username: string }; socketId: string }>) {
            if (!ctx.meta.user.username.startsWith("allowed")) throw forbidden();
            return { room: `roomy:${ctx.params.key}`, socketId: ctx.meta.socketId };
          },
        },
        elsewhere: { room: true, kind: "read", permission: "authenticated", handler: () => ({ room: "other:1" }) },
        plain: { kind: "read", permission: "authenticated", handler: () => ({ room: "roomy:x" }) },
      },
      events: { "sockets.left": (ctx: Context<RoomLeft>) => void left.push(ctx.params) },
    } as never);
    await platform.kernel.broker.waitForServices(["roomy"]);
  });
  afterEach(() => opened.splice(0).forEach((t) => t.close()));
  afterAll(() => platform.stop());

  const person = async (username: string) => {
    const p = await platform.person({ roles: ["supplier"], tenantCode: "441300", username: `${username}-${Math.random().toString(36).slice(2, 8)}` });
    const t = await readyTab(platform.baseUrl, { token: p.token });
    opened.push(t);
    return { ...p, t };
  };

  test("the plugin's action lets one in and refuses another with its error envelope; only members get the room's events", async () => {
    const a = await person("allowed");
    const s = await person("stranger");
    const ok = await join(a.t, "roomy.hall", { key: "k1" });
    expect(ok).toEqual({ room: "roomy:k1", socketId: a.t.socket.id });
    const no = await join(s.t, "roomy.hall", { key: "k1" });
    expect(no).toMatchObject({ error: { code: "FORBIDDEN", message: expect.any(String) } });

    const got: Tab[] = [];
    a.t.socket.on("news", () => got.push(a.t));
    s.t.socket.on("news", () => got.push(s.t));
    await toRoom(platform.kernel.broker, "roomy:k1", "news", { n: 1 });
    await until("member told", () => got.length > 0);
    await toRoom(platform.kernel.broker, "roomy:k2", "news", { n: 2 });
    await new Promise((r) => a.t.socket.emit("leave", { room: "nothing" }, r)); // a round trip after both sends
    expect(got).toEqual([a.t]);
  });

  test("an action that does not declare a room, an unknown one, or a room under another service's name is refused", async () => {
    const a = await person("allowed");
    expect(await join(a.t, "roomy.plain", {})).toMatchObject({ error: { code: "NOT_FOUND" } });
    expect(await join(a.t, "nobody.here", {})).toMatchObject({ error: { code: "NOT_FOUND" } });
    expect(await join(a.t, "roomy.elsewhere", {})).toMatchObject({ error: { code: "INTERNAL_ERROR" } });
  });

  test("leaving and disconnecting each tell the plugin once", async () => {
    const a = await person("allowed");
    await join(a.t, "roomy.hall", { key: "k3" });
    await join(a.t, "roomy.hall", { key: "k4" });
    await new Promise((r) => a.t.socket.emit("leave", { room: "roomy:k3" }, r));
    await until("leave heard", () => left.some((l) => l.room === "roomy:k3" && l.account === a.id));
    a.t.close();
    await until("disconnect heard", () => left.some((l) => l.room === "roomy:k4" && l.account === a.id));
    expect(left.filter((l) => l.account === a.id).map((l) => l.room).sort()).toEqual(["roomy:k3", "roomy:k4"]);
  });
});
