import fs from "node:fs";
import path from "node:path";
import { money, toMoney } from "../../../core/forms/money";
import { newSigningKey, openShare, sealBid, softwareSigner, toBase64, utf8, verifyReceipt, type SealedBid } from "../../../plugins/etrading/sealed";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";

/**
 * A first start's e-trading: in Huizhou and at province level one tender taking bids (which the demo
 * supplier can bid on at once), one closing minutes after the start (three bids sealed in it) and one
 * opened (three bids sealed and opened, the record showing their prices); each demo role with
 * something to do; the custodians' private keys printed once, never in the database.
 */
const ROOT = path.resolve(__dirname, "../../..");

describe("the e-trading demonstration data", () => {
  let platform: TestPlatform;
  let pluginsDir: string;
  const lines: string[] = [];
  const tokens = new Map<string, string>();
  beforeAll(async () => {
    // e-trading and the plugins its demo builds on, linked so that other plugins' work in progress cannot stop it
    pluginsDir = linkPlugins(["registries", "supervision", "etrading"], "etrading-demo-plugins");
    platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms"), demoAccounts: true, deadlineCheckMs: 200 }, { log: (l) => lines.push(l) });
  }, 180_000);
  afterAll(async () => {
    await platform?.stop();
    if (pluginsDir) fs.rmSync(pluginsDir, { recursive: true, force: true });
  });

  async function signedIn(username: string, first: string) {
    if (tokens.has(username)) return tokens.get(username)!;
    const login = await platform.api("/api/auth/login", { method: "POST", body: { username, password: first } });
    const changed = await platform.api("/api/auth/change-password", { method: "POST", token: login.body.token, body: { currentPassword: first, newPassword: `Guangdong-Etrading-${first.slice(-3)}-2026!` } });
    expect([username, changed.status]).toEqual([username, 200]);
    tokens.set(username, changed.body.token);
    return changed.body.token as string;
  }
  type Listed = { id: string; title: string; status: string; bidDeadline: string; registered: boolean; tenantCode?: string };
  const list = async (token: string, mine = false) => (await platform.api(`/api/etrading/tenders${mine ? "?mine=1" : ""}`, { token })).body.items as Listed[];
  const byTitle = (items: Listed[], part: string) => items.find((t) => t.title.includes(part))!;
  const printedKeys = () => lines.filter((l) => l.startsWith("[demo] etrading custodian key")).map((l) => /^\[demo\] etrading custodian key · (.+) · (\w+) \(([\w.]+)\) · \/etrading\/tenders\/([0-9a-f-]{36})\/custodians\/\2 · ([0-9a-f]{64})$/.exec(l)!);

  test("Huizhou and the province each have a tender taking bids, one closing minutes after the start and one past its deadline; three suppliers hold the documents of each", async () => {
    expect(lines.filter((l) => l.startsWith("[demo]") && l.includes("not complete"))).toEqual([]);
    expect(lines).toContainEqual(expect.stringContaining("[demo] etrading: 7 open tenders"));
    for (const [username, first] of [["huizhou.supplier", "441300901"], ["huizhou.supplier2", "441300902"], ["huizhou.supplier3", "441300903"]]) {
      const items = (await list(await signedIn(username, first))).filter((t) => t.registered);
      expect([username, items.length]).toEqual([username, username === "huizhou.supplier2" ? 6 : 7]);
    }
    // ⑦, the evaluation demo's: huizhou.supplier4 bids in place of huizhou.supplier2, and the agency has recorded its opening
    const seventh = byTitle(await list(await signedIn("huizhou.supplier4", "441300904")), "隧道照明智能控制");
    expect(seventh).toMatchObject({ registered: true, status: "opened" });
    const now = Date.now();
    const left = (await list(await signedIn("huizhou.supplier", "441300901"))).map((t) => Date.parse(t.bidDeadline) - now).sort((a, b) => a - b);
    expect(left.slice(0, 3).every((ms) => ms < 0)).toBe(true);
    expect(left.slice(3, 5).every((ms) => ms > 0 && ms < 9 * 60_000)).toBe(true);
    expect(left.slice(5).every((ms) => ms > 20 * 86_400_000)).toBe(true);
    // the province purchaser runs its three, from plans the provincial regulator filed; each regulator follows its level's
    const gdBuyer = await list(await signedIn("gd.buyer", "440000201"), true);
    expect(gdBuyer.map((t) => t.title).sort()).toEqual(["广东省交通运输应急指挥通信设备采购", "广东省普通国省道桥梁检测设备采购", "广东省高速公路服务区充电设施采购"]);
    expect((await list(await signedIn("huizhou.regulator", "441300001"))).filter((t) => t.title.startsWith("惠州市")).length).toBeGreaterThanOrEqual(3);
    expect((await list(await signedIn("gd.regulator", "440000001"))).filter((t) => t.title.startsWith("广东省")).length).toBe(3);
  });

  test("the demo supplier can seal and submit a bid today on the tenders taking bids, at both levels", async () => {
    const token = await signedIn("huizhou.supplier", "441300901");
    const items = await list(token);
    for (const [part, custodians] of [["城区道路照明", ["agency", "purchaser", "supervisor"]], ["服务区充电设施", ["purchaser", "supervisor"]]] as const) {
      const tender = byTitle(items, part);
      const sealing = await platform.api(`/api/etrading/tenders/${tender.id}/sealing`, { token });
      expect([part, sealing.status]).toEqual([part, 200]);
      expect(sealing.body.custodians.map((c: { id: string }) => c.id)).toEqual(custodians);
      const price = toMoney(money(sealing.body.maxPrice).times(0.9));
      const bid = await sealBid({ tenderId: tender.id, package: { form: { price, note: "演示投标", docsVersion: sealing.body.docsVersion }, files: [{ name: "a.txt", type: "text/plain", content: toBase64(utf8("演示")) }] }, custodians: sealing.body.custodians, threshold: sealing.body.threshold, signer: softwareSigner(newSigningKey()) });
      const sent = await platform.api(`/api/etrading/tenders/${tender.id}/bids`, { method: "POST", token, body: { bid } });
      expect([part, sent.status]).toEqual([part, 201]);
      expect(verifyReceipt(sent.body.receipt, sealing.body.receiptKey)).toBe(true);
    }
  });

  test("the opened tenders show three bids decrypted with their prices; a bidder confirms the record; the purchaser records the opening once the deadline timer has opened it", async () => {
    const regulator = await signedIn("huizhou.regulator", "441300001");
    const buyer = await signedIn("huizhou.buyer", "441300401");
    const supplier2 = await signedIn("huizhou.supplier2", "441300902");
    for (const [part, token] of [["桥梁健康监测", regulator], ["国省道桥梁检测", await signedIn("gd.regulator", "440000001")]] as const) {
      const tender = byTitle(await list(token), part);
      const record = await platform.api(`/api/etrading/tenders/${tender.id}/opening`, { token });
      expect([part, record.status]).toEqual([part, 200]);
      expect(record.body.closed).toBe(true);
      expect(record.body.bids.map((b: { outcome: string }) => b.outcome)).toEqual(["opened", "opened", "opened"]);
      const max = (await platform.api(`/api/etrading/tenders/${tender.id}`, { token })).body.maxPrice as string;
      const prices = record.body.bids.map((b: { price: string }) => b.price).sort();
      expect(prices.every((p: string) => money(p).lt(money(max)))).toBe(true);
      expect(new Set(prices).size).toBe(3);
    }
    // tender.opening.record: a bidder confirms online
    const opened = byTitle(await list(supplier2), "桥梁健康监测");
    const confirmed = await platform.api(`/api/etrading/tenders/${opened.id}/opening/confirmation`, { method: "POST", token: supplier2, body: {} });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.rule).toBe("tender.opening.record");
    // the deadline timer opens it after the start; the purchaser then records the opening (its task)
    let status = "";
    for (let i = 0; i < 100 && status !== "opening"; i++) {
      status = byTitle(await list(buyer, true), "桥梁健康监测").status;
      if (status !== "opening") await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe("opening");
    const row = await platform.kernel.db.knex("etrading_tenders").where({ id: opened.id }).first();
    const recorded = await platform.api(`/api/instances/${row.instance_id}/transitions/record-opening`, { method: "POST", token: buyer, body: {} });
    expect(recorded.status).toBeLessThan(300);
    expect(byTitle(await list(buyer, true), "桥梁健康监测").status).toBe("opened");
  });

  test("the custodians' private keys of the tenders still to open are printed once and open their shares; none is in the database", async () => {
    const keys = printedKeys();
    // taking bids: 3 + 2 custodians; closing: 3 + 2
    expect(keys.map((k) => `${k[2]} ${k[3]}`).sort()).toEqual([
      "agency huizhou.agency", "agency huizhou.agency",
      "purchaser gd.buyer", "purchaser gd.buyer", "purchaser huizhou.buyer", "purchaser huizhou.buyer",
      "supervisor gd.regulator", "supervisor gd.regulator", "supervisor huizhou.regulator", "supervisor huizhou.regulator",
    ]);
    const knex = platform.kernel.db.knex;
    // each printed key unwraps the shares sealed to its custodian in the closing tenders' three bids
    for (const part of ["电子站牌", "应急指挥通信"]) {
      const tender = await knex("etrading_tenders").where("title", "like", `%${part}%`).first();
      const bids: Array<{ shares: SealedBid["shares"] }> = await knex("etrading_bids").where({ tender_id: tender.id });
      expect(bids).toHaveLength(3);
      const printed = keys.filter((k) => k[1] === tender.title);
      expect(printed.every((k) => k[4] === tender.id)).toBe(true);
      for (const [, , custodian, , , key] of printed) {
        for (const b of bids) expect(openShare({ tenderId: tender.id, shares: b.shares }, custodian, key)).toMatch(/^[A-Za-z0-9+/]+=*$/);
      }
    }
    const tables: Array<{ table_name: string }> = await knex("information_schema.tables").where({ table_schema: "public", table_type: "BASE TABLE" }).select("table_name");
    const pattern = keys.map((k) => k[5]).join("|");
    const found: string[] = [];
    for (const { table_name } of tables) {
      const hit = await knex.raw(`select count(*)::int as n from "${table_name}" t where lower(t::text) ~ ?`, [pattern]);
      if (hit.rows[0].n) found.push(table_name);
    }
    expect(found).toEqual([]);
  });
});
