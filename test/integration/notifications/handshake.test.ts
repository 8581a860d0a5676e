import crypto from "node:crypto";
import { io } from "socket.io-client";
import { Tokens } from "../../../core/identity/tokens";
import { notifyPlatform, readyTab, refused, tab, until, type NotifyPlatform } from "./support";

/**
 * The socket's handshake takes the same token as the API: none, a bad one, one whose session
 * ended or whose time is up are refused; a socket whose session ends or whose token expires is
 * disconnected. Anonymous visitors have the public feeds, nothing else.
 */
describe("live notifications: who may connect", () => {
  let platform: NotifyPlatform;
  const opened: Array<{ close(): void }> = [];
  const client = (auth: Record<string, unknown>) => {
    const t = tab(platform.baseUrl, auth);
    opened.push(t);
    return t;
  };

  beforeAll(async () => {
    platform = await notifyPlatform();
  });
  afterEach(() => opened.splice(0).forEach((t) => t.close()));
  afterAll(() => platform.stop());

  test("a socket without a token is refused with UNAUTHENTICATED", async () => {
    const err = await refused(client({}).socket);
    expect(err.message).toBe("UNAUTHENTICATED");
    expect(err.data).toMatchObject({ status: 401, error: { code: "UNAUTHENTICATED" } });
  });

  test("a bad token is refused: garbage, a broken signature, changed claims, another key", async () => {
    const p = await platform.person({ roles: ["purchaser"], tenantCode: "441300" });
    const [head, body, sig] = p.token.split(".");
    const forged = `${head}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, "base64url").toString()), roles: ["platform-admin"] })).toString("base64url")}.${sig}`;
    const otherKey = await new Tokens(crypto.randomBytes(32)).issue(p.user);
    for (const bad of ["not-a-token", `${head}.${body}.${sig.slice(0, -4)}AAAA`, forged, otherKey]) {
      const err = await refused(client({ token: bad }).socket);
      expect(err.data).toMatchObject({ status: 401, error: { code: "UNAUTHENTICATED" } });
    }
  });

  test("the token of a session that was signed out is refused", async () => {
    const { token } = await platform.person({ roles: ["purchaser"], tenantCode: "441300" });
    expect((await platform.api("/api/auth/logout", { method: "POST", token })).status).toBe(200);
    const err = await refused(client({ token }).socket);
    expect(err.data).toMatchObject({ status: 401, error: { code: "UNAUTHENTICATED" } });
  });

  test("signing out disconnects the session's sockets at once, with session-ended", async () => {
    const { token } = await platform.person({ roles: ["purchaser"], tenantCode: "441300" });
    const first = await readyTab(platform.baseUrl, { token });
    const second = await readyTab(platform.baseUrl, { token });
    opened.push(first, second);
    const t0 = Date.now();
    expect((await platform.api("/api/auth/logout", { method: "POST", token })).status).toBe(200);
    await until("both tabs disconnected", () => first.disconnects.length > 0 && second.disconnects.length > 0);
    expect(Date.now() - t0).toBeLessThan(1000);
    for (const t of [first, second]) {
      expect(t.ended).toEqual([expect.objectContaining({ reason: "revoked", error: expect.objectContaining({ code: "UNAUTHENTICATED" }) })]);
      // the server ended it: a client does not reconnect by itself (its session is gone)
      expect(t.disconnects).toEqual(["io server disconnect"]);
    }
  });

  test("a session revoked where this node did not hear of it is found by the periodic check", async () => {
    const p = await platform.person({ roles: ["purchaser"], tenantCode: "441300" });
    const t = await readyTab(platform.baseUrl, { token: p.token });
    opened.push(t);
    // As another node would: the row changes, no broadcast reaches this one.
    await platform.kernel.db.knex("core_sessions").where({ id: p.user.sessionId }).update({ revoked_at: new Date(), revoked_reason: "test" });
    await platform.sockets().checkSessions();
    await until("disconnected", () => t.disconnects.length > 0);
    expect(t.ended[0]?.reason).toBe("revoked");
  });

  test("an expired token is refused, and a socket is disconnected when its token expires", async () => {
    const p = await platform.person({ roles: ["regulator"], tenantCode: "441300" });
    const shortLived = await platform.kernel.identity.tokens.issue(p.user, 1);
    const t = await readyTab(platform.baseUrl, { token: shortLived });
    opened.push(t);
    await until("disconnected at expiry", () => t.disconnects.length > 0, 5000);
    expect(t.ended).toEqual([expect.objectContaining({ reason: "expired" })]);
    const err = await refused(client({ token: shortLived }).socket);
    expect(err.data).toMatchObject({ status: 401, error: { code: "UNAUTHENTICATED" } });
    // With a fresh token (what a refresh gives) the same session connects again.
    opened.push(await readyTab(platform.baseUrl, { token: p.token }));
  });

  test("a user who must change their password first is refused", async () => {
    const p = await platform.person({ roles: ["purchaser"], tenantCode: "441300" });
    const token = await platform.kernel.identity.tokens.issue({ ...p.user, mustChangePassword: true });
    const err = await refused(client({ token }).socket);
    expect(err.data).toMatchObject({ status: 403, error: { code: "PASSWORD_CHANGE_REQUIRED" } });
  });

  test("messages come in the caller's language", async () => {
    const err = await refused(client({ lang: "en" }).socket);
    expect(err.data?.error.message).toBe("Sign-in required");
    const zh = await refused(client({}).socket);
    expect(zh.data?.error.message).toMatch(/[\u4e00-\u9fff]/);
  });

  test("anonymous visitors may follow public feeds, and nothing else", async () => {
    const visitor = io(`${platform.baseUrl}/public`, { transports: ["websocket"], reconnection: false, forceNew: true });
    opened.push(visitor);
    const ack = await visitor.timeout(5000).emitWithAck("subscribe", { tenants: ["441300", "440000"] });
    expect(ack).toEqual({ feeds: ["441300", "440000"] });
    const bad = await visitor.timeout(5000).emitWithAck("subscribe", { tenants: ["440300"] }); // Shenzhen: not on this platform
    expect(bad).toMatchObject({ error: { code: "VALIDATION_FAILED" } });
    const tooMany = await visitor.timeout(5000).emitWithAck("subscribe", { tenants: [...platform.kernel.tenancy.tree.tenants.filter((t) => t.onPlatform !== false).map((t) => t.code)] });
    expect(tooMany).toMatchObject({ error: { code: "VALIDATION_FAILED" } });
    // following an instance is for signed-in users (the event is not even listened to here)
    expect(await visitor.timeout(500).emitWithAck("follow", { instanceId: "00000000-0000-0000-0000-000000000000" }).catch((e: Error) => e.message)).toBe("operation has timed out");
    // and the signed-in namespace stays closed to them
    const err = await refused(client({}).socket);
    expect(err.message).toBe("UNAUTHENTICATED");
  });
});

test("a gateway that stops drops its sockets first; clients take it for a lost connection and would reconnect elsewhere", async () => {
  const platform = await notifyPlatform();
  const p = await platform.person({ roles: ["purchaser"], tenantCode: "441300" });
  const tabs = [await readyTab(platform.baseUrl, { token: p.token }), await readyTab(platform.baseUrl, { token: p.token }, { transports: ["polling"] })];
  const t0 = Date.now();
  await platform.stop();
  // moleculer-web's close waits for open connections: it would hang until the clients left
  expect(Date.now() - t0).toBeLessThan(5000);
  await until("clients disconnected", () => tabs.every((t) => t.disconnects.length > 0));
  // not "io server disconnect", after which a client does not reconnect by itself
  for (const t of tabs) expect(["transport close", "transport error"]).toContain(t.disconnects[0]);
  tabs.forEach((t) => t.close());
});
