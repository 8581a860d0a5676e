import fs from "node:fs";
import path from "node:path";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";
import { poll } from "../../support/http";
import { MALL_PLUGINS } from "./support";

const ROOT = path.resolve(__dirname, "../../..");

/** The e-mall's demonstration data on a first start, with the plugins it stands on only. */
describe("the e-mall's demonstration data", () => {
  let platform: TestPlatform;
  let dir: string;
  const lines: string[] = [];
  beforeAll(async () => {
    dir = linkPlugins(MALL_PLUGINS, "emall-demo");
    platform = await startTestPlatform({ demoAccounts: true, pluginsDir: dir, formsDir: path.join(ROOT, "forms") }, { log: (l) => lines.push(l) });
  }, 300_000);
  afterAll(async () => {
    await platform?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("orders in several states, a framework agreement with a direct and a rotation call-off, a designated point with its service orders", async () => {
    expect(lines.filter((l) => l.startsWith("[demo]") && l.includes("not complete"))).toEqual([]);
    const db = platform.kernel.db.knex;
    // the order placed four days ago lapses by its timer once the platform runs
    const kinds = await poll("the lapsed demo order", () => db("emall_orders").select("kind", "status").orderBy("created_at"), (rows) => rows.some((r) => r.status === "lapsed"));
    expect(new Set(kinds.filter((k) => k.kind === "order").map((k) => k.status))).toEqual(new Set(["placed", "confirmed", "accepted", "paid", "lapsed"]));
    const [framework] = await db("emall_frameworks");
    expect(framework).toMatchObject({ kind: "closed", category_code: "A0201060101" });
    expect(await db("emall_framework_members").where({ framework_id: framework.id, status: "admitted" })).toHaveLength(2);
    expect(kinds.filter((k) => k.kind === "call-off").map((k) => k.status).sort()).toEqual(["confirmed", "placed"]);
    // the live auction: two unrelated bidders quoting
    const [auction] = await db("emall_auctions").where({ status: "bidding" });
    expect(await db("emall_auction_bidders").where({ auction_id: auction.id })).toHaveLength(2);
    const services = await db("emall_orders").where({ kind: "designated" }).orderBy("created_at");
    expect(services.map((o) => [o.status, o.total])).toEqual([["confirmed", "860.00"], ["placed", "1240.50"]]);
  });
});
