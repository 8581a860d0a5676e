import { type DemoTools, localDate, money, toMoney } from "../../core/sdk";

/** The demo's people (tenants/demo-accounts.csv). */
const BUYER = "huizhou.buyer";
const REGULATOR = "huizhou.regulator";
const AGENCY = "huizhou.agency";
const SUPPLIER = "huizhou.supplier";

interface DemoTender {
  name: string;
  summary: string;
  item: { category: string; name: string; quantity: number; unit: string; unitPrice: string };
  /** days before now it was published */
  publishedDaysAgo: number;
  /** the deadline, in minutes from now (negative: passed) */
  deadlineInMinutes: number;
  agency?: boolean;
}

const DAY = 86_400_000;

/**
 * Three Huizhou open tenders, each from its own filed plan: one taking bids (the demo supplier has
 * obtained its documents and can bid), one whose bids close a few minutes after the start, and one
 * whose deadline has passed, which the deadline timer opens as soon as the platform runs (the bids
 * service's demo seals bids into it).
 */
const TENDERS: DemoTender[] = [
  { name: "惠州市城区道路照明节能改造设备采购", summary: "城区主干道LED路灯约1200盏，含安装调试", item: { category: "A02061802", name: "LED路灯", quantity: 1200, unit: "盏", unitPrice: "1000.00" }, publishedDaysAgo: 3, deadlineInMinutes: 25 * 24 * 60, agency: true },
  { name: "惠州市公交站台电子站牌采购", summary: "市区公交站台电子站牌200套，含五年运维", item: { category: "A02091000", name: "电子站牌", quantity: 200, unit: "套", unitPrice: "6500.00" }, publishedDaysAgo: 25, deadlineInMinutes: 5 },
  { name: "惠州市桥梁健康监测设备采购", summary: "三座跨江大桥结构健康监测传感器及平台", item: { category: "A02100000", name: "监测传感器", quantity: 150, unit: "套", unitPrice: "8000.00" }, publishedDaysAgo: 30, deadlineInMinutes: -2 * 24 * 60 },
];

export async function etradingDemo(d: DemoTools): Promise<void> {
  const buyer = d.as(BUYER);
  const regulator = d.as(REGULATOR);
  const agency = d.as(AGENCY);
  const supplier = d.as(SUPPLIER);
  const unitOf = async (who: typeof buyer) => (await who<{ user: { unitCode: string } }>("auth.me")).user.unitCode;
  const [buyerUnit, agencyCode] = [await unitOf(buyer), await unitOf(agency)];
  const now = Date.now();
  const at = (ms: number) => {
    const when = new Date(ms);
    d.travelTo(when);
    return localDate(when);
  };
  const start = (who: typeof buyer, workflowId: string, data: unknown) => who<{ id: string; data: Record<string, unknown> }>("workflows.start", { workflowId, data });
  const take = (who: typeof buyer, id: string, name: string, data?: unknown) => who("workflows.transition", { id, name, ...(data === undefined ? {} : { data }) });

  for (const t of TENDERS) {
    const published = now - t.publishedDaysAgo * DAY;
    const deadline = new Date(now + t.deadlineInMinutes * 60_000);
    const total = toMoney(money(t.item.unitPrice).times(t.item.quantity));
    const runner = t.agency ? agency : buyer;

    // the plan: intention public 35 days before it, filed, executed on e-trading
    const expected = at(published - 40 * DAY).slice(0, 7);
    const intention = await start(buyer, "supervision.intention", { projectName: t.name, summary: t.summary, budget: toMoney(money(total).times(1.05)), expectedMonth: expected });
    await take(buyer, intention.id, "publish");
    const projectId = intention.data.projectId as string;
    at(published - 3 * DAY);
    const plan = await start(buyer, "supervision.plan", {
      projectId, budgetCode: buyerUnit, fundsSource: "current-year-quota", method: "public-tender",
      items: [{ ...t.item, amount: total }], total, smeShare: 40, ...(t.agency ? { agencyCode } : {}),
    });
    await take(runner, plan.id, "submit");
    await take(regulator, plan.id, "file");
    await take(runner, plan.id, "choose-channel", { channel: "etrading" });

    // the documents, drafted and published the day they go out
    at(published);
    const tender = await start(runner, "etrading.public-tender", {
      projectId,
      title: t.name,
      maxPrice: toMoney(money(total).times(0.98)),
      requirements: `${t.summary}。技术参数详见采购需求书；质保期不少于5年。`,
      qualifications: "具有独立承担民事责任的能力；具有良好的商业信誉和健全的财务会计制度；参加采购活动前三年内无重大违法记录。",
      scoring: "综合评分法：价格分30分，技术分50分，商务分20分。",
      deposit: { kind: "guarantee", amount: toMoney(money(total).times(0.01)) },
      creditQueryCutoff: deadline.toISOString(),
      bidDeadline: deadline.toISOString(),
    });
    await take(runner, tender.id, "publish");
    // the demo supplier obtains the documents on the second day
    at(published + DAY);
    await supplier(`etrading.register`, { id: tender.id });
  }
  d.log(`[demo] etrading: ${TENDERS.length} Huizhou open tenders (taking bids; closing 5 minutes after the start; closed and opening)`);
}
