import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { poll } from "../../support/http";

/** A newcomer's first start: the demo accounts, their registry records, and one project at each stage. */
describe("the demonstration data of a first start", () => {
  let platform: TestPlatform;
  const lines: string[] = [];
  beforeAll(async () => {
    platform = await startTestPlatform({ demoAccounts: true }, { log: (l) => lines.push(l) });
  });
  afterAll(() => platform.stop());

  const signIn = async (username: string, password: string) => {
    const r = await platform.api("/api/auth/login", { method: "POST", body: { username, password } });
    expect(r.status).toBe(200);
    return (r.body as { token: string }).token;
  };

  test("one Huizhou project at each stage, made by the demo people through the platform's rules", async () => {
    expect(lines.filter((l) => l.startsWith("[demo]") && l.includes("not complete"))).toEqual([]);
    const token = await signIn("huizhou.regulator", "441300001");
    // the first password only lets the account change it
    const changed = await platform.api("/api/auth/change-password", { method: "POST", token, body: { currentPassword: "441300001", newPassword: "Huizhou-Regulator-2026!" } });
    expect(changed.status).toBe(200);
    const fresh = await signIn("huizhou.regulator", "Huizhou-Regulator-2026!");
    const list = await platform.api("/api/supervision/projects?pageSize=50", { token: fresh });
    const stages = (list.body as { items: Array<{ stage: string; unitName: string }> }).items.map((p) => p.stage).sort();
    // the four more in execution are e-trading's Huizhou demo tenders (plugins/etrading/demo.ts: ①②③ and the
    // evaluation's ⑦), one more the e-mall's plan its demo orders draw on (plugins/emall/demo.ts)
    expect(stages).toEqual(["acceptance", "contract", "execution", "execution", "execution", "execution", "execution", "execution", "intention", "paid", "payment", "plan"]);
    expect((list.body as { items: Array<{ unitName: string }> }).items.every((p) => p.unitName === "惠州市交通运输局")).toBe(true);
    // the clock is back on real time
    expect(Math.abs(platform.kernel.clock.now().getTime() - Date.now())).toBeLessThan(5000);
  });

  test("the portal shows the demo's public notices to anybody", async () => {
    const notices = await poll("the demo notices", async () => (await platform.api("/api/portal/notices?tenant=441300&pageSize=50")).body as { total: number; items: Array<{ type: string }> }, (b) => b.total >= 7 + 4 + 3 + 3 + 3);
    // with e-trading's three projects: their intentions and tender notices
    expect(new Set(notices.items.map((n) => n.type))).toEqual(new Set(["intention", "result", "contract", "tender"]));
  });
});
