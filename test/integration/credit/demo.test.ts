import fs from "node:fs";
import path from "node:path";
import { poll } from "../../support/http";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";

/**
 * A first start's credit data (plugins/credit/demo.ts): the lists imported before the demo tenders'
 * cutoffs, and huizhou.supplier3 bidding as a consortium with the listed huizhou.listed on the tender
 * that closes minutes after the start: at that cutoff the screening excludes it (credit.consortium,
 * credit.blacklists), which the agency running the tender reads in the snapshot.
 */
const ROOT = path.resolve(__dirname, "../../..");

describe("the credit demonstration data", () => {
  let platform: TestPlatform;
  let pluginsDir: string;
  const lines: string[] = [];
  beforeAll(async () => {
    pluginsDir = linkPlugins(["registries", "supervision", "etrading", "credit"], "credit-demo-plugins");
    platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms"), demoAccounts: true, deadlineCheckMs: 200 }, { log: (l) => lines.push(l) });
  }, 180_000);
  afterAll(async () => {
    await platform?.stop();
    if (pluginsDir) fs.rmSync(pluginsDir, { recursive: true, force: true });
  });

  async function signedIn(username: string, first: string): Promise<string> {
    const login = await platform.api("/api/auth/login", { method: "POST", body: { username, password: first } });
    const changed = await platform.api("/api/auth/change-password", { method: "POST", token: login.body.token, body: { currentPassword: first, newPassword: `Guangdong-Credit-${first.slice(-3)}-2026!` } });
    expect([username, changed.status]).toEqual([username, 200]);
    return changed.body.token as string;
  }

  test("the listed supplier's consortium is excluded at the closing tender's cutoff, with the list version used; the public page shows the lists", async () => {
    const line = lines.find((l) => l.startsWith("[demo] credit: huizhou.supplier3 bids"));
    expect(line).toBeDefined();
    const tender = /\/etrading\/tenders\/([0-9a-f-]{36})\/screening/.exec(line!)![1];
    // the cutoff is the deadline, minutes from now: go past it and let the deadline fire
    const token = await signedIn("huizhou.agency", "441300801");
    const detail = (await platform.api(`/api/etrading/tenders/${tender}`, { token })).body;
    platform.kernel.clock.travelTo(new Date(Date.parse(detail.bidDeadline) + 60_000).toISOString());
    // nobody asks: the deadline fires the tender's open step, whose event has it screened
    const snapshot = await poll("the snapshot at the cutoff", () => platform.api(`/api/etrading/tenders/${tender}/screening`, { token }), (r) => r.body?.status === "screened", 60_000);
    const lead = snapshot.body.bidders.find((b: { code: string }) => b.code === "91441302MA52KQ7X3E");
    expect(lead).toMatchObject({ eligible: false, members: [{ code: "91441300MA56CD8L3J" }] });
    expect(lead.reasons.map((r: { rule: string }) => r.rule)).toContain("credit.consortium");
    expect(snapshot.body.lists.find((l: { list: string }) => l.list === "dishonest-debtors").version).not.toBeNull();
    // the two suppliers under one legal representative are flagged (supplier.relatedParties)
    expect(snapshot.body.bidders.filter((b: { flags: unknown[] }) => b.flags.length)).toHaveLength(2);

    const pub = await platform.api(`/api/credit/public?q=${encodeURIComponent("诚达")}`);
    expect(pub.body.entries.map((e: { code: string }) => e.code)).toEqual(["91441300MA56CD8L3J"]);
    expect(pub.body.penalties.map((p: { code: string }) => p.code)).toEqual(["91441300MA56CD8L3J"]);
  }, 120_000);

  test("a rating round opened today: the buyer owes the supplier and the agency; two ratings given; the rated purchaser's quarter score shows its formula", async () => {
    expect(lines.some((l) => l.startsWith("[demo] credit: a rating round for 「惠州市道路标线涂料采购」"))).toBe(true);
    const buyer = await signedIn("huizhou.buyer", "441300401");
    const owed = await platform.api("/api/credit/ratings/pending", { token: buyer });
    expect(owed.body.items.filter((r: { title: string }) => r.title === "惠州市道路标线涂料采购").map((r: { rateeKind: string }) => r.rateeKind).sort()).toEqual(["agency", "supplier"]);
    const score = await platform.api("/api/credit/scores/mine", { token: buyer });
    expect(score.body).toMatchObject({ breakdown: { ratingsReceived: 1, ratingPoints: 80 } });
    expect(score.body.formula["zh-CN"]).toContain("评价分");
    const supplier2 = await signedIn("huizhou.supplier2", "441300902");
    expect((await platform.api("/api/credit/scores/mine", { token: supplier2 })).body.breakdown.records).toBe(1);
  });
});
