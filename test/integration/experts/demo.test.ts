import fs from "node:fs";
import path from "node:path";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";

/** A first start's experts: the demo expert admitted with a calendar and a declaration, eight more in other specialities. */
const ROOT = path.resolve(__dirname, "../../..");

describe("the experts demonstration data", () => {
  let platform: TestPlatform;
  let pluginsDir: string;
  beforeAll(async () => {
    pluginsDir = linkPlugins(["registries", "supervision", "etrading", "experts"], "experts-demo-plugins");
    platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms"), demoAccounts: true });
  }, 180_000);
  afterAll(async () => {
    await platform?.stop();
    if (pluginsDir) fs.rmSync(pluginsDir, { recursive: true, force: true });
  });

  async function signedIn(username: string, first: string) {
    const login = await platform.api("/api/auth/login", { method: "POST", body: { username, password: first } });
    const changed = await platform.api("/api/auth/change-password", { method: "POST", token: login.body.token, body: { currentPassword: first, newPassword: `Guangdong-Experts-${first.slice(-3)}-2026!` } });
    expect([username, changed.status]).toEqual([username, 200]);
    return changed.body.token as string;
  }

  test("huizhou.expert signs in with its first password and finds itself admitted, with its calendar and declaration; the regulator sees nine experts in several specialities", async () => {
    const expert = await signedIn("huizhou.expert", "441300990");
    const me = await platform.api("/api/experts/me", { token: expert });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ name: "刘建华", status: "admitted", specialities: ["A0302", "B0201"] });
    expect(me.body.unavailable).toHaveLength(1);
    expect(me.body.ties).toEqual([expect.objectContaining({ companyCode: "91441300MA5D3H8R1T", kind: "employment" })]);

    const regulator = await signedIn("huizhou.regulator", "441300001");
    const list = await platform.api("/api/experts/list?status=admitted", { token: regulator });
    expect(list.body.items).toHaveLength(9);
    const tops = new Set(list.body.items.flatMap((e: { specialities: string[] }) => e.specialities.map((s) => s[0])));
    expect([...tops].sort()).toEqual(["A", "B", "C", "D"]);

    // a drawing on the opened tender ③, invitations out; the buyer sees counts, the regulator names
    const drawings = await platform.api("/api/experts/drawings", { token: regulator });
    expect(drawings.body.items).toEqual([expect.objectContaining({ status: "inviting", experts: 4, counts: expect.objectContaining({ invited: 4 }) })]);
    const id = drawings.body.items[0].id;
    expect((await platform.api(`/api/experts/drawings/${id}/verify`, { method: "POST", token: regulator })).body.verified).toBe(true);
    const buyer = await signedIn("huizhou.buyer", "441300401");
    const seen = await platform.api(`/api/experts/drawings/${id}`, { token: buyer });
    expect(seen.body.seats).toHaveLength(4);
    expect(seen.body.invitations).toBeUndefined();
  });
});
