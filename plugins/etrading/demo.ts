import { type DemoTools, localDate, money, toMoney } from "../../core/sdk";
import { newKeyPair, newSigningKey, openShare, sealBid, softwareSigner, toBase64, utf8, type BidPackage, type SealedBid } from "./sealed";

/** The demo's people (tenants/demo-accounts.csv): who runs each level's procurements and who supervises it. */
interface Level {
  name: string;
  buyer: string;
  regulator: string;
  agency?: string;
}
const HUIZHOU: Level = { name: "Huizhou", buyer: "huizhou.buyer", regulator: "huizhou.regulator", agency: "huizhou.agency" };
const PROVINCE: Level = { name: "province", buyer: "gd.buyer", regulator: "gd.regulator" };
/** the demo supplier first; the other two bid wherever it may, so that every demo tender gets 3 bids */
const SUPPLIERS = ["huizhou.supplier", "huizhou.supplier2", "huizhou.supplier3"] as const;

/**
 * taking-bids: the demo supplier has the documents and bids itself (the other two have bid);
 * closing: all three have bid, the bids close minutes after the start and the custodians open them;
 * opened: the deadline passed, the custodians opened the bids and the record shows their prices.
 */
type Stage = "taking-bids" | "closing" | "opened";

interface DemoTender {
  level: Level;
  stage: Stage;
  name: string;
  summary: string;
  item: { category: string; name: string; quantity: number; unit: string; unitPrice: string };
  /** days before now it was published */
  publishedDaysAgo: number;
  /** the deadline, in minutes from now (negative: passed) */
  deadlineInMinutes: number;
  /** drafted and run by the level's agency, which the plan entrusts */
  agency?: boolean;
  /** each bidder's price, as a share of the maximum price, in the order of its bidders */
  offers: [number, number, number];
  /** who bids, when not SUPPLIERS: the evaluation's demo tender leaves out huizhou.supplier2, to which the demo expert declared a tie */
  bidders?: readonly [string, string, string];
  /** opened, then the purchaser's record-opening step taken: the tender the evaluation's demo evaluates */
  recorded?: boolean;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;

const TENDERS: DemoTender[] = [
  { level: HUIZHOU, stage: "taking-bids", name: "惠州市城区道路照明节能改造设备采购", summary: "城区主干道LED路灯约1200盏，含安装调试", item: { category: "A02061802", name: "LED路灯", quantity: 1200, unit: "盏", unitPrice: "1000.00" }, publishedDaysAgo: 3, deadlineInMinutes: 25 * 24 * 60, agency: true, offers: [0.95, 0.93, 0.97] },
  { level: HUIZHOU, stage: "closing", name: "惠州市公交站台电子站牌采购", summary: "市区公交站台电子站牌200套，含五年运维", item: { category: "A02091000", name: "电子站牌", quantity: 200, unit: "套", unitPrice: "6500.00" }, publishedDaysAgo: 25, deadlineInMinutes: 5, agency: true, offers: [0.91, 0.94, 0.89] },
  { level: HUIZHOU, stage: "opened", name: "惠州市桥梁健康监测设备采购", summary: "三座跨江大桥结构健康监测传感器及平台", item: { category: "A02100000", name: "监测传感器", quantity: 150, unit: "套", unitPrice: "8000.00" }, publishedDaysAgo: 30, deadlineInMinutes: -2 * 24 * 60, offers: [0.92, 0.96, 0.9] },
  { level: PROVINCE, stage: "taking-bids", name: "广东省高速公路服务区充电设施采购", summary: "省内高速公路服务区直流快充桩300台，含安装及三年运维", item: { category: "A02061500", name: "直流充电桩", quantity: 300, unit: "台", unitPrice: "45000.00" }, publishedDaysAgo: 4, deadlineInMinutes: 24 * 24 * 60, offers: [0.94, 0.92, 0.96] },
  { level: PROVINCE, stage: "closing", name: "广东省交通运输应急指挥通信设备采购", summary: "省级交通应急指挥卫星通信终端及单兵设备", item: { category: "A02080000", name: "应急通信终端", quantity: 80, unit: "套", unitPrice: "36000.00" }, publishedDaysAgo: 25, deadlineInMinutes: 8, offers: [0.9, 0.95, 0.93] },
  { level: PROVINCE, stage: "opened", name: "广东省普通国省道桥梁检测设备采购", summary: "桥梁检测车及无损检测仪器一批", item: { category: "A02100000", name: "桥梁检测设备", quantity: 12, unit: "套", unitPrice: "420000.00" }, publishedDaysAgo: 32, deadlineInMinutes: -3 * 24 * 60, offers: [0.93, 0.91, 0.97] },
  { level: HUIZHOU, stage: "opened", name: "惠州市隧道照明智能控制系统采购", summary: "市区六座隧道照明智能调光控制终端及管理平台", item: { category: "A02061802", name: "隧道照明控制终端", quantity: 60, unit: "套", unitPrice: "18000.00" }, publishedDaysAgo: 28, deadlineInMinutes: -24 * 60, agency: true, offers: [0.93, 0.9, 0.96], bidders: ["huizhou.supplier", "huizhou.supplier3", "huizhou.supplier4"], recorded: true },
];

type Caller = ReturnType<DemoTools["as"]>;

/** What a supplier's bid page would seal: the response form (price and notes) and one file. */
const packageOf = (supplier: string, price: string, docsVersion: number): BidPackage => {
  const note = `${supplier} 投标响应：完全响应采购需求，质保五年，七日内交货`;
  return { form: { price, note, docsVersion }, files: [{ name: "技术响应.txt", type: "text/plain", content: toBase64(utf8(`${note}｜报价 ${price} 元`)) }] };
};

/**
 * Three open tenders in Huizhou and three at province level (gd.buyer), each from its own filed
 * plan, the seeder acting as each person's browser where the work is sealing or keys:
 *
 * - taking bids: the custodians' keys are made (as their browsers would), two suppliers have bid,
 *   the demo supplier holds the documents and bids itself;
 * - closing minutes after the start: all three suppliers have bid; after the deadline the custodians
 *   open the bids on their pages with the keys the start prints;
 * - opened: bids sealed before the deadline and opened by two custodians after it (2 of 3; 2 of 2 at
 *   province level, which has no agency), the window closed, every bidder asked to confirm the record.
 *
 * Private keys never reach the database: the custodians' private keys of the tenders still to open
 * are printed once in the start log (as the administrator's one-time password is) for the demo
 * custodians to restore on their custodian page; those of the opened tenders are dropped once used.
 */
export async function etradingDemo(d: DemoTools): Promise<void> {
  const unitOf = async (who: Caller) => (await who<{ user: { unitCode: string } }>("auth.me")).user.unitCode;
  const now = Date.now();
  const at = (ms: number) => {
    const when = new Date(ms);
    d.travelTo(when);
    return localDate(when);
  };
  const start = (who: Caller, workflowId: string, data: unknown) => who<{ id: string; data: Record<string, unknown> }>("workflows.start", { workflowId, data });
  const take = (who: Caller, id: string, name: string, data?: unknown) => who("workflows.transition", { id, name, ...(data === undefined ? {} : { data }) });
  const keyLines: string[] = [];

  for (const t of TENDERS) {
    const bidders = t.bidders ?? SUPPLIERS;
    const suppliers = bidders.map((s) => d.as(s));
    const buyer = d.as(t.level.buyer);
    const regulator = d.as(t.level.regulator);
    const agency = t.agency && t.level.agency ? d.as(t.level.agency) : undefined;
    const runner = agency ?? buyer;
    const published = now - t.publishedDaysAgo * DAY;
    const deadline = new Date(now + t.deadlineInMinutes * 60_000);
    const total = toMoney(money(t.item.unitPrice).times(t.item.quantity));
    const maxPrice = toMoney(money(total).times(0.98));

    // the plan: intention public 35 days before it, filed, executed on e-trading
    const expected = at(published - 40 * DAY).slice(0, 7);
    const intention = await start(buyer, "supervision.intention", { projectName: t.name, summary: t.summary, budget: toMoney(money(total).times(1.05)), expectedMonth: expected });
    await take(buyer, intention.id, "publish");
    const projectId = intention.data.projectId as string;
    at(published - 3 * DAY);
    const plan = await start(buyer, "supervision.plan", {
      projectId, budgetCode: await unitOf(buyer), fundsSource: "current-year-quota", method: "public-tender",
      items: [{ ...t.item, amount: total }], total, smeShare: 40, ...(agency ? { agencyCode: await unitOf(agency) } : {}),
    });
    await take(runner, plan.id, "submit");
    await take(regulator, plan.id, "file");
    await take(runner, plan.id, "choose-channel", { channel: "etrading" });

    // the documents, drafted and published the day they go out
    at(published);
    const instance = await start(runner, "etrading.public-tender", {
      projectId,
      title: t.name,
      maxPrice,
      requirements: `${t.summary}。技术参数详见采购需求书；质保期不少于5年。`,
      qualifications: "具有独立承担民事责任的能力；具有良好的商业信誉和健全的财务会计制度；参加采购活动前三年内无重大违法记录。",
      scoring: "综合评分法：价格分30分，技术分50分，商务分20分。",
      deposit: { kind: "guarantee", amount: toMoney(money(total).times(0.01)) },
      creditQueryCutoff: deadline.toISOString(),
      bidDeadline: deadline.toISOString(),
    });
    await take(runner, instance.id, "publish");
    // the tender's id is its row's, which the demo supplier's list names
    const listed = await suppliers[0]<{ items: Array<{ id: string; title: string }> }>("etrading.list", { q: t.name });
    const id = listed.items.find((x) => x.title === t.name)!.id;

    // the three suppliers obtain the documents on the second day
    at(published + DAY);
    for (const s of suppliers) await s("etrading.register", { id });

    // the custodians make their keys the same day, each "in its own browser"
    at(published + DAY + 2 * HOUR);
    const holders: Record<string, { who: Caller; username: string }> = {
      ...(agency ? { agency: { who: agency, username: t.level.agency! } } : {}),
      purchaser: { who: buyer, username: t.level.buyer },
      supervisor: { who: regulator, username: t.level.regulator },
    };
    // the places the publish step writes (services/tenders.ts): the agency only where the plan entrusts one
    const places = agency ? ["agency", "purchaser", "supervisor"] : ["purchaser", "supervisor"];
    const keys: Record<string, string> = {};
    // an agency's tender knows its purchasing unit once the purchaser has opened it (services/tenders.ts visibleTender)
    await buyer("etrading.get", { id });
    for (const c of places) {
      const pair = newKeyPair();
      await holders[c].who("etrading.bids.custodianKey", { id, custodian: c, publicKey: pair.publicKey });
      keys[c] = pair.privateKey;
    }

    // bids, sealed in the suppliers' "browsers" the next day: the demo supplier leaves the open one to the person trying it
    at(published + 2 * DAY);
    for (const [i, s] of suppliers.entries()) {
      if (t.stage === "taking-bids" && i === 0) continue;
      const sealing = await s<{ custodians: Array<{ id: string; publicKey: string }>; threshold: number; docsVersion: number }>("etrading.bids.sealing", { id });
      const price = toMoney(money(maxPrice).times(t.offers[i]));
      const bid: SealedBid = await sealBid({ tenderId: id, package: packageOf(bidders[i], price, sealing.docsVersion), custodians: sealing.custodians, threshold: sealing.threshold, signer: softwareSigner(newSigningKey()) });
      await s("etrading.bids.submit", { id, bid });
    }

    if (t.stage !== "opened") {
      for (const c of places) keyLines.push(`[demo] etrading custodian key · ${t.name} · ${c} (${holders[c].username}) · /etrading/tenders/${id}/custodians/${c} · ${keys[c]}`);
      continue;
    }
    // past the deadline: two custodians unwrap their shares and hand them in; the bids open
    at(now);
    for (const c of places.slice(-2)) {
      const got = await holders[c].who<{ bids: Array<{ bidId: string; tenderId: string; shares: SealedBid["shares"] }> }>("etrading.bids.sharesToOpen", { id, custodian: c });
      const shares = got.bids.map((b) => ({ bidId: b.bidId, share: openShare(b, c, keys[c]) }));
      await holders[c].who("etrading.bids.handIn", { id, custodian: c, shares });
    }
    // the window closed: each bidder is told to confirm the record or object
    await runner("etrading.bids.close", { id });
    if (!t.recorded) continue;
    // the deadline's own step (open) is the timers', which start after the demos: fired here, then the record confirmed
    await d.fireDueTimers();
    await take(runner, instance.id, "record-opening");
  }
  const summary = TENDERS.map((t) => `${t.level.name} ${t.stage}`).join("; ");
  d.log(`[demo] etrading: ${TENDERS.length} open tenders (${summary}); custodians' private keys of the tenders still to open, for their custodian pages (never stored on the platform):`);
  for (const line of keyLines) d.log(line);
}
