import fs from "node:fs";
import path from "node:path";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";

/**
 * A first start's evaluation: e-trading's recorded tender ⑦, whose bidders leave out huizhou.supplier2 (the
 * demo expert's declared tie), drawn and completed with huizhou.expert on the committee, an evaluation whose
 * sheet awaits the demo expert's scores.
 */
const ROOT = path.resolve(__dirname, "../../..");
const TITLE = "惠州市隧道照明智能控制系统采购";

describe("the evaluation demonstration data", () => {
  let platform: TestPlatform;
  let pluginsDir: string;
  const lines: string[] = [];
  beforeAll(async () => {
    pluginsDir = linkPlugins(["registries", "supervision", "etrading", "experts", "evaluation"], "evaluation-demo-plugins");
    platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms"), demoAccounts: true }, { log: (l) => lines.push(l) });
  }, 180_000);
  afterAll(async () => {
    await platform?.stop();
    if (pluginsDir) fs.rmSync(pluginsDir, { recursive: true, force: true });
  });

  async function signedIn(username: string, first: string) {
    const login = await platform.api("/api/auth/login", { method: "POST", body: { username, password: first } });
    const changed = await platform.api("/api/auth/change-password", { method: "POST", token: login.body.token, body: { currentPassword: first, newPassword: `Guangdong-Eval-${first.slice(-3)}-2026!` } });
    expect([username, changed.status]).toEqual([username, 200]);
    return changed.body.token as string;
  }

  test("huizhou.expert finds its evaluation in progress on the recorded tender ⑦: the drawing complete and verifiable, a chair elected, four of five submitted, its own sheet empty", async () => {
    expect(lines.filter((l) => l.startsWith("[demo]") && l.includes("not complete"))).toEqual([]);
    const expert = await signedIn("huizhou.expert", "441300990");
    const list = await platform.api("/api/evaluation/evaluations", { token: expert });
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([expect.objectContaining({ title: TITLE, status: "scoring" })]);
    const id = list.body.items[0].id;
    const view = await platform.api(`/api/evaluation/evaluations/${id}`, { token: expert });
    expect(view.body).toMatchObject({ status: "scoring", committeeSize: 5, chairElected: true, submitted: 4, mySubmission: false, report: null });
    expect(view.body.bids.map((b: { qualification: { passed: boolean } }) => b.qualification.passed)).toEqual([true, true, true]);
    expect((await platform.api(`/api/evaluation/evaluations/${id}/scores/mine`, { token: expert })).body.items).toEqual([]);
    const me = await platform.api("/api/me", { token: expert });
    expect(view.body.members).toContain(me.body.user.id);

    // the tender's bidders do not include 惠州市明途光电 (91441300MA5D3H8R1T), to which the demo expert declared its tie
    const regulator = await signedIn("huizhou.regulator", "441300001");
    const record = await platform.api(`/api/etrading/tenders/${view.body.tenderId}/opening`, { token: regulator });
    expect(record.body.bids.map((b: { supplierCode: string }) => b.supplierCode)).not.toContain("91441300MA5D3H8R1T");
    expect((await platform.api(`/api/etrading/tenders/${view.body.tenderId}`, { token: regulator })).body.status).toBe("opened");
    // the drawing the committee came from: complete, and the regulator recomputes it
    const drawing = await platform.api(`/api/experts/drawings/${view.body.drawingId}`, { token: regulator });
    expect(drawing.body).toMatchObject({ status: "complete", experts: 5 });
    expect((await platform.api(`/api/experts/drawings/${view.body.drawingId}/verify`, { method: "POST", token: regulator })).body.verified).toBe(true);
  });
});
