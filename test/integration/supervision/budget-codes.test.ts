import { startTestPlatform, type TestPlatform } from "../../support/kernel";

/**
 * A purchasing unit's budget code is the first password of its accounts: the supplier and the agency
 * taking part in huizhou.buyer's projects (the demo's) get its name, and its code nowhere, in
 * anything they can ask for; the unit itself and its regulator still see it.
 */
describe("budget codes are not shown to suppliers and agencies", () => {
  let platform: TestPlatform;
  const CODE = "441300401";
  /** the codes of the Huizhou units whose people act on its projects: the buyer, and the finance bureau (regulator, admin) */
  const CODES = [CODE, "441300001"];
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    platform = await startTestPlatform({ demoAccounts: true });
    const passwords: Record<string, string> = { "huizhou.supplier": "441300901", "huizhou.agency": "441300801", "huizhou.buyer": "441300401", "huizhou.regulator": "441300001" };
    for (const [username, first] of Object.entries(passwords)) {
      const login = await platform.api("/api/auth/login", { method: "POST", body: { username, password: first } });
      const changed = await platform.api("/api/auth/change-password", { method: "POST", token: (login.body as { token: string }).token, body: { currentPassword: first, newPassword: "Lanterns-over-Xihu-2026" } });
      expect(changed.status).toBe(200);
      tokens[username] = (changed.body as { token: string }).token;
    }
  });
  afterAll(() => platform.stop());

  /** Every answer the account can get about the demo's projects, units and notices, as JSON text. */
  async function everything(who: string): Promise<{ text: string; projects: number; instances: number; byName: number; byCode: number; unitIds: string[]; purchaserId: string }> {
    const token = tokens[who];
    const bodies: unknown[] = [];
    const get = async (path: string) => {
      const r = await platform.api(path, { token });
      expect([path, r.status]).toEqual([path, 200]);
      bodies.push(r.body);
      return r.body as { items: Array<{ id: string }> };
    };
    const projects = (await get("/api/supervision/projects?pageSize=100")) as { items: Array<{ id: string; unitId: string }> };
    for (const p of projects.items) {
      await get(`/api/supervision/projects/${p.id}`);
      await get(`/api/supervision/projects/${p.id}/channels`);
    }
    const instances = await get("/api/instances?pageSize=100");
    for (const i of instances.items) {
      await get(`/api/instances/${i.id}`);
      await get(`/api/instances/${i.id}/transitions`);
    }
    await get("/api/instances?actionable=1&pageSize=100");
    const byName = await get(`/api/registries/purchasers?q=${encodeURIComponent("交通运输局")}`);
    for (const u of byName.items) await get(`/api/registries/purchasers/${u.id}`);
    let byCode = 0;
    for (const q of ["4", "4413", "4413004", CODE]) byCode += (await get(`/api/registries/purchasers?q=${q}`)).items.length;
    await get("/api/notifications");
    await get("/api/portal/notices?tenant=441300&pageSize=100");
    return {
      text: JSON.stringify(bodies), projects: projects.items.length, instances: instances.items.length, byName: byName.items.length, byCode,
      unitIds: [...new Set(projects.items.map((p) => p.unitId))], purchaserId: byName.items[0]?.id,
    };
  }

  test.each(["huizhou.supplier", "huizhou.agency"])("%s finds the unit by name and takes part in its projects, but its budget code appears nowhere", async (who) => {
    const seen = await everything(who);
    expect(seen.projects).toBeGreaterThan(0);
    expect(seen.instances).toBeGreaterThan(0);
    expect(seen.byName).toBe(1);
    expect(seen.text).toContain("惠州市交通运输局");
    // the unit's public identity: its registry record
    expect(seen.unitIds).toEqual([seen.purchaserId]);
    // a prefix of the code finds nothing: the search matches codes only the caller may read
    expect(seen.byCode).toBe(0);
    // nor does the exact code: a unit it may not read the code of is as missing as one that is not there
    const direct = await platform.api(`/api/registries/purchasers/by-code/${CODE}`, { token: tokens[who] });
    const nowhere = await platform.api("/api/registries/purchasers/by-code/441300499", { token: tokens[who] });
    expect([direct.status, direct.body]).toEqual([404, nowhere.body]);
    for (const code of CODES) expect([code, seen.text.includes(code)]).toEqual([code, false]);
  });

  test("the unit itself and the regulator of its region still see it, where the web reads it", async () => {
    for (const who of ["huizhou.buyer", "huizhou.regulator"]) {
      const projects = await platform.api("/api/supervision/projects?pageSize=100", { token: tokens[who] });
      expect((projects.body as { items: Array<{ unitCode: string }> }).items.every((p) => p.unitCode === CODE)).toBe(true);
      const instances = await platform.api("/api/instances?pageSize=100", { token: tokens[who] });
      expect((instances.body as { items: Array<{ ownerUnit: string }> }).items.some((i) => i.ownerUnit === CODE)).toBe(true);
      const found = await platform.api(`/api/registries/purchasers?q=${CODE}`, { token: tokens[who] });
      expect((found.body as { items: Array<{ budgetCode: string }> }).items).toEqual([expect.objectContaining({ budgetCode: CODE })]);
      expect((await platform.api(`/api/registries/purchasers/by-code/${CODE}`, { token: tokens[who] })).body).toMatchObject({ budgetCode: CODE, name: "惠州市交通运输局" });
    }
  });
});
