import fs from "node:fs";
import path from "node:path";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";

/** A first start's challenges and complaints: on e-trading's opened Huizhou tender, one challenge awaiting its answer and one complaint awaiting the regulator. */
const ROOT = path.resolve(__dirname, "../../..");

describe("the challenges and complaints demonstration data", () => {
  let platform: TestPlatform;
  let pluginsDir: string;
  const lines: string[] = [];
  beforeAll(async () => {
    pluginsDir = linkPlugins(["registries", "supervision", "etrading", "complaints"], "complaints-demo-plugins");
    platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms"), demoAccounts: true }, { log: (l) => lines.push(l) });
  }, 180_000);
  afterAll(async () => {
    await platform?.stop();
    if (pluginsDir) fs.rmSync(pluginsDir, { recursive: true, force: true });
  });

  test("one challenge awaits the purchaser's answer and one complaint awaits Huizhou's regulator, with their clocks running", async () => {
    const knex = platform.kernel.db.knex;
    const challenges = await knex("complaints_challenges").orderBy("filed_at");
    expect(challenges.map((c) => [c.tenant_code, c.tender_title, c.status])).toEqual([
      ["441300", "惠州市桥梁健康监测设备采购", "awaiting-reply"],
      ["441300", "惠州市桥梁健康监测设备采购", "replied"],
    ]);
    const complaints = await knex("complaints_complaints");
    expect(complaints.map((p) => [p.challenge_id, p.status, p.matters])).toEqual([[challenges[1].id, "intake", [1]]]);
    // Huizhou's regulator sees it at its desk, with the intake clock
    const regulator = await platform.token({ tenantCode: "441300", roles: ["regulator"] });
    const desk = await platform.api("/api/complaints/complaints", { token: regulator });
    expect(desk.status).toBe(200);
    expect(desk.body.items).toEqual([expect.objectContaining({ status: "intake", clocks: [expect.objectContaining({ rule: "complaint.intake", remainingWorkingDays: 5 })] })]);
    expect(lines.some((l) => l.includes("[demo] complaints:") && l.includes("huizhou.regulator"))).toBe(true);
  });
});
