import { createHash } from "node:crypto";
import { type DemoTools, localDate, money, toMoney } from "../../core/sdk";

/** The demo's people (tenants/demo-accounts.csv) and the supplier's registry code. */
const BUYER = "huizhou.buyer";
const REGULATOR = "huizhou.regulator";
const AGENCY = "huizhou.agency";
const SUPPLIER = "huizhou.supplier";

const STAGES = ["intention", "plan", "execution", "contract", "acceptance", "payment", "paid"] as const;
type Stage = (typeof STAGES)[number];

interface DemoProject {
  name: string;
  summary: string;
  method: string;
  channel: string;
  item: { category: string; name: string; quantity: number; unit: string; unitPrice: string };
  /** how far it goes */
  until: Stage;
  /** days before today its intention was published; later stages follow at fixed spans */
  startedDaysAgo: number;
  agency?: boolean;
}

const PROJECTS: DemoProject[] = [
  { name: "惠州市公路养护机械采购", summary: "采购小型路面养护机械6台，含三年维保", method: "public-tender", channel: "etrading", item: { category: "A02052300", name: "路面养护机械", quantity: 6, unit: "台", unitPrice: "180000.00" }, until: "intention", startedDaysAgo: 5 },
  { name: "惠州市交通运输局办公家具采购", summary: "办公楼搬迁所需办公家具一批", method: "emall-direct", channel: "emall", item: { category: "A06010000", name: "办公家具", quantity: 120, unit: "套", unitPrice: "3500.00" }, until: "plan", startedDaysAgo: 45, agency: true },
  { name: "惠州市智慧交通信号系统采购", summary: "市区主干道路口信号控制系统升级", method: "public-tender", channel: "etrading", item: { category: "A02100000", name: "交通信号控制设备", quantity: 40, unit: "套", unitPrice: "52000.00" }, until: "execution", startedDaysAgo: 80 },
  { name: "惠州市隧道照明改造工程设备采购", summary: "市内三条隧道LED照明灯具更换", method: "public-tender", channel: "etrading", item: { category: "A02061802", name: "隧道LED灯具", quantity: 900, unit: "盏", unitPrice: "1100.00" }, until: "contract", startedDaysAgo: 100 },
  { name: "惠州市路政执法车辆采购", summary: "路政巡查执法车辆4辆", method: "emall-direct", channel: "emall", item: { category: "A02030500", name: "执法车辆", quantity: 4, unit: "辆", unitPrice: "185000.00" }, until: "acceptance", startedDaysAgo: 110, agency: true },
  { name: "惠州市交通监控设备采购", summary: "高速出入口视频监控设备及安装", method: "competitive-consultation", channel: "etrading", item: { category: "A02091000", name: "视频监控设备", quantity: 60, unit: "套", unitPrice: "9800.00" }, until: "payment", startedDaysAgo: 120 },
  { name: "惠州市道路标线涂料采购", summary: "热熔标线涂料年度采购", method: "emall-bidding", channel: "legacy-execution", item: { category: "A09010000", name: "热熔标线涂料", quantity: 200, unit: "吨", unitPrice: "4200.00" }, until: "paid", startedDaysAgo: 130 },
];

const reached = (p: DemoProject, s: Stage) => STAGES.indexOf(p.until) >= STAGES.indexOf(s);

/**
 * One Huizhou project at each stage, made by the demo's purchaser, regulator, agency and supplier
 * through the workflow API, each step on the day it would have happened, so that every date,
 * deadline and flag is what a real project would have.
 */
export async function supervisionDemo(d: DemoTools): Promise<void> {
  const buyer = d.as(BUYER);
  const regulator = d.as(REGULATOR);
  const agency = d.as(AGENCY);
  const supplierAccount = d.as(SUPPLIER);
  const unitOf = async (who: typeof buyer) => (await who<{ user: { unitCode: string } }>("auth.me")).user.unitCode;
  const [buyerUnit, supplierCode, agencyCode] = [await unitOf(buyer), await unitOf(supplierAccount), await unitOf(agency)];
  const now = Date.now();
  const on = (daysAgo: number) => {
    const at = new Date(now - daysAgo * 86_400_000);
    d.travelTo(new Date(`${localDate(at)}T10:00:00+08:00`));
    return localDate(at);
  };
  const start = (who: typeof buyer, workflowId: string, data: unknown) => who<{ id: string; data: Record<string, unknown> }>("workflows.start", { workflowId, data });
  const take = (who: typeof buyer, id: string, name: string, data?: unknown) => who("workflows.transition", { id, name, ...(data === undefined ? {} : { data }) });

  for (const p of PROJECTS) {
    const t0 = p.startedDaysAgo;
    const total = toMoney(money(p.item.unitPrice).times(p.item.quantity));
    const budget = toMoney(money(total).times(1.1));
    on(t0 + 2);
    const intention = await start(buyer, "supervision.intention", { projectName: p.name, summary: p.summary, budget, expectedMonth: localDate(new Date(now - (t0 - 35) * 86_400_000)).slice(0, 7) });
    on(t0);
    await take(buyer, intention.id, "publish");
    const projectId = intention.data.projectId as string;
    if (!reached(p, "plan")) continue;

    on(t0 - 35);
    const plan = await start(buyer, "supervision.plan", {
      projectId, budgetCode: buyerUnit, fundsSource: "current-year-quota", method: p.method,
      items: [{ ...p.item, amount: total }], total, smeShare: 40, ...(p.agency ? { agencyCode } : {}),
    });
    await take(p.agency ? agency : buyer, plan.id, "submit");
    if (!reached(p, "execution")) continue;

    on(t0 - 36);
    await take(regulator, plan.id, "file");
    on(t0 - 38);
    await take(p.agency ? agency : buyer, plan.id, "choose-channel", { channel: p.channel });
    if (!reached(p, "contract")) continue;

    const awardOn = on(t0 - 60);
    const amount = toMoney(money(total).times(0.96));
    await take(p.agency ? agency : buyer, plan.id, "record-result", { supplierCode, amount, awardDate: awardOn, noticeText: `经评审，确定成交供应商（统一社会信用代码 ${supplierCode}），成交金额 ${amount} 元。` });
    if (!reached(p, "acceptance")) continue;

    const signedOn = on(t0 - 65);
    const contract = await start(buyer, "supervision.contract", {
      projectId, supplierCode, amount, signedOn, startDate: signedOn, endDate: localDate(new Date(now + 180 * 86_400_000)),
      paymentTerms: "验收合格后30日内支付", documentHash: createHash("sha256").update(`${p.name} ${signedOn}`).digest("hex"),
    });
    on(t0 - 66);
    await take(buyer, contract.id, "file");
    if (!reached(p, "payment")) continue;

    const acceptedOn = on(t0 - 110);
    const acceptance = await start(buyer, "supervision.acceptance", {
      projectId, acceptedOn, result: "pass", items: [{ name: p.item.name, result: "pass" }],
      committee: [{ name: "陈工", role: "组长" }, { name: "林工", role: "技术专家" }], notes: "数量、规格与合同一致",
    });
    await take(buyer, acceptance.id, "submit");
    await take(supplierAccount, acceptance.id, "acknowledge", { comment: "确认" });
    const half = toMoney(money(amount).div(2));
    const firstPaidOn = on(t0 - 115);
    const first = await start(buyer, "supervision.payment", { projectId, amount: half, note: "第一期" });
    await take(buyer, first.id, "pay", { paidOn: firstPaidOn });
    if (!reached(p, "paid")) continue;

    const lastPaidOn = on(t0 - 120);
    const rest = toMoney(money(amount).minus(money(half)));
    const second = await start(buyer, "supervision.payment", { projectId, amount: rest, note: "第二期（尾款）" });
    await take(buyer, second.id, "pay", { paidOn: lastPaidOn });
  }
  d.log(`[demo] supervision: ${PROJECTS.length} Huizhou projects, one at each stage`);
}
