import fs from "node:fs";
import path from "node:path";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";

/**
 * A first start's finance data (plugins/finance/demo.ts): the bank and the insurer admitted by the
 * province, with accounts that sign in; huizhou.supplier's e-guarantee issued (its code checks on the
 * public route), huizhou.supplier2's pending at the bank, huizhou.supplier3's deposit awaiting the agency,
 * huizhou.supplier's contract financing application pending at the bank.
 */
const ROOT = path.resolve(__dirname, "../../..");

describe("the finance demonstration data", () => {
  let platform: TestPlatform;
  let pluginsDir: string;
  const lines: string[] = [];
  beforeAll(async () => {
    pluginsDir = linkPlugins(["registries", "supervision", "etrading", "finance"], "finance-demo-plugins");
    platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms"), demoAccounts: true }, { log: (l) => lines.push(l) });
  }, 180_000);
  afterAll(async () => {
    await platform?.stop();
    if (pluginsDir) fs.rmSync(pluginsDir, { recursive: true, force: true });
  });

  async function signedIn(username: string, first: string): Promise<string> {
    const login = await platform.api("/api/auth/login", { method: "POST", body: { username, password: first } });
    const changed = await platform.api("/api/auth/change-password", { method: "POST", token: login.body.token, body: { currentPassword: first, newPassword: `Guangdong-Finance-${first.slice(-3)}-2026!` } });
    expect([username, changed.status]).toEqual([username, 200]);
    return changed.body.token as string;
  }

  test("the bank and the insurer sign in to their own business: one letter issued and verifiable, one pending, one deposit to confirm, one financing application", async () => {
    const issuedLine = lines.find((l) => l.startsWith("[demo] finance: huizhou.insurer issued"));
    expect(issuedLine).toBeDefined();
    const code = /check code ([A-Z0-9-]+) at \/finance\/verify/.exec(issuedLine!)![1];
    const check = await platform.api(`/api/finance/verify/${code}`);
    expect(check.body).toMatchObject({ valid: true, institution: { name: "中国人民财产保险股份有限公司惠州市分公司" }, letter: { title: "惠州市城区道路照明节能改造设备采购" } });

    const insurer = await signedIn("huizhou.insurer", "441300702");
    expect((await platform.api("/api/finance/guarantees", { token: insurer })).body.items.map((g: { status: string }) => g.status)).toEqual(["issued"]);
    const bank = await signedIn("gd.bank", "440000701");
    const pending = (await platform.api("/api/finance/guarantees?status=pending", { token: bank })).body.items;
    expect(pending).toEqual([expect.objectContaining({ title: "广东省高速公路服务区充电设施采购", status: "pending" })]);
    const financing = (await platform.api("/api/finance/financing", { token: bank })).body.items;
    expect(financing).toEqual([expect.objectContaining({ status: "pending", contract: expect.objectContaining({ name: "惠州市路政执法车辆采购" }) })]);
    // half the contract is asked
    expect(Number(financing[0].requestedAmount) * 2).toBeCloseTo(Number(financing[0].contract.amount), 1);

    const agency = await signedIn("huizhou.agency", "441300801");
    const tenders = (await platform.api("/api/etrading/tenders?mine=1", { token: agency })).body.items as Array<{ id: string; title: string }>;
    const huizhou = tenders.find((x) => x.title === "惠州市城区道路照明节能改造设备采购")!;
    const deposits = (await platform.api(`/api/finance/deposits?tenderId=${huizhou.id}`, { token: agency })).body.items;
    expect(deposits).toEqual([expect.objectContaining({ status: "declared", form: "draft" })]);
  });
});
