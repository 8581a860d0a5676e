import { startTestPlatform, type TestPlatform } from "../../support/kernel";

/** A first start's e-trading: three Huizhou tenders, each with something for a demo role to do. */
describe("the e-trading demonstration data", () => {
  let platform: TestPlatform;
  const lines: string[] = [];
  beforeAll(async () => {
    platform = await startTestPlatform({ demoAccounts: true, deadlineCheckMs: 200 }, { log: (l) => lines.push(l) });
  }, 180_000);
  afterAll(() => platform?.stop());

  async function signedIn(username: string, first: string) {
    const login = await platform.api("/api/auth/login", { method: "POST", body: { username, password: first } });
    const changed = await platform.api("/api/auth/change-password", { method: "POST", token: login.body.token, body: { currentPassword: first, newPassword: `Guangdong-Etrading-${first.slice(-3)}-2026!` } });
    expect(changed.status).toBe(200);
    return changed.body.token as string;
  }

  test("one tender taking bids, one closing minutes after the start, one closed and opening; the demo supplier holds the documents of each", async () => {
    expect(lines.filter((l) => l.startsWith("[demo]") && l.includes("not complete"))).toEqual([]);
    expect(lines).toContainEqual(expect.stringContaining("[demo] etrading: 3 Huizhou open tenders"));
    const supplier = await signedIn("huizhou.supplier", "441300901");
    const list = await platform.api("/api/etrading/tenders", { token: supplier });
    expect(list.status).toBe(200);
    const items = list.body.items as Array<{ title: string; status: string; bidDeadline: string; registered: boolean }>;
    expect(items).toHaveLength(3);
    expect(items.every((t) => t.registered)).toBe(true);
    const now = Date.now();
    const left = items.map((t) => Date.parse(t.bidDeadline) - now).sort((a, b) => a - b);
    expect(left[0]).toBeLessThan(0);
    expect(left[1]).toBeGreaterThan(0);
    expect(left[1]).toBeLessThan(6 * 60_000);
    expect(left[2]).toBeGreaterThan(20 * 86_400_000);
    // the passed deadline opens the third by itself
    const buyer = await signedIn("huizhou.buyer", "441300401");
    const closed = items.find((t) => Date.parse(t.bidDeadline) < now)!;
    for (let i = 0; i < 50; i++) {
      const mine = await platform.api("/api/etrading/tenders?mine=1", { token: buyer });
      if (mine.body.items.find((t: { title: string }) => t.title === closed.title)?.status === "opening") return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error("the closed tender did not open");
  });
});
