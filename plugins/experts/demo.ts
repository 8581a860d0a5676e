import { type DemoTools, localDate, platformNow, workingDayOnOrAfter } from "../../core/sdk";

type Caller = ReturnType<DemoTools["as"]>;

/** Huizhou's demo experts: the `huizhou.expert` account of tenants/demo-accounts.csv and eight more, in several specialities. */
const SEEDED = [
  { username: "huizhou.expert.lighting", name: "陈立明", employer: "惠州市建筑设计研究院", code: "12441300MB2C00011A", titles: ["高级工程师"], specialities: ["A0302", "B03"], availability: "any" },
  { username: "huizhou.expert.roads", name: "黄思远", employer: "惠州市市政工程设计院", code: "12441300MB2C00012B", titles: ["正高级工程师"], specialities: ["B0201", "C03"], availability: "workdays" },
  { username: "huizhou.expert.it", name: "李嘉怡", employer: "惠州学院计算机科学与工程学院", code: "12441300MB2C00013C", titles: ["教授"], specialities: ["A0101", "A0102", "C0101"], availability: "any" },
  { username: "huizhou.expert.medical", name: "周文彬", employer: "惠州市中心人民医院", code: "12441300MB2C00014D", titles: ["主任医师"], specialities: ["A0201", "A0202"], availability: "weekends" },
  { username: "huizhou.expert.property", name: "吴晓燕", employer: "惠州市物业管理行业协会", code: "51441300MB2C00015E", titles: ["高级经济师"], specialities: ["C02", "C04"], availability: "any" },
  { username: "huizhou.expert.law", name: "郑国强", employer: "广东惠正律师事务所", code: "31441300MB2C00016F", titles: ["律师", "高级职称"], specialities: ["D01"], availability: "any" },
  { username: "huizhou.expert.audit", name: "林秀珍", employer: "惠州市审计学会", code: "51441300MB2C00017G", titles: ["高级会计师"], specialities: ["D02", "D03"], availability: "workdays" },
  { username: "huizhou.expert.transport", name: "何志军", employer: "惠州市交通规划研究中心", code: "12441300MB2C00018H", titles: ["高级工程师"], specialities: ["A0301", "A0302"], availability: "any" },
];

export async function expertsDemo(tools: DemoTools): Promise<void> {
  const admin = tools.as("huizhou.admin");
  const regulator = tools.as("huizhou.regulator");
  const apply = async (who: Caller, data: Record<string, unknown>) => who<{ id: string }>("workflows.start", { workflowId: "experts.application", data });
  const admit = (id: string) => regulator("workflows.transition", { id, name: "admit", data: { reason: "资格审核通过，准予入库（演示数据）" } });

  for (const e of SEEDED) {
    // the seeded experts are accounts of their own, signed in by nobody: the demo acts for them
    await admin("accounts.create", { username: e.username, displayName: `${e.name}（评审专家）`, tenantCode: "441300", roles: ["expert"] });
    const r = await apply(tools.as(e.username), { name: e.name, phone: "13800138000", employerName: e.employer, employerCode: e.code, titles: e.titles, specialities: e.specialities, region: "441300", availability: e.availability });
    await admit(r.id);
  }

  // the demo expert: admitted, one unavailable day next week, and a former employer declared
  const expert = tools.as("huizhou.expert");
  const mine = await apply(expert, {
    name: "刘建华", phone: "13900139000", employerName: "惠州市城市照明管理中心", employerCode: "12441300MB2C00019J", titles: ["高级工程师"], specialities: ["A0302", "B0201"], region: "441300", availability: "any",
  });
  await admit(mine.id);
  const nextWeek = localDate(new Date(platformNow().getTime() + 7 * 86_400_000));
  await expert("experts.registry.unavailable", { days: [nextWeek] });
  await expert("experts.registry.declareTie", { companyCode: "91441300MA5D3H8R1T", companyName: "惠州市明途光电科技有限公司", kind: "employment", since: "2022-03-01", until: "2024-08-31" });
  tools.log(`[demo] experts: huizhou.expert and ${SEEDED.length} seeded experts admitted in Huizhou`);

  // a drawing for e-trading's opened Huizhou tender (③): committed, drawn from the opening record, invitations out
  const buyer = tools.as("huizhou.buyer");
  const tenders = await buyer<{ items: Array<{ id: string; title: string }> }>("etrading.list", { q: "桥梁健康监测" });
  const tender = tenders.items.find((x) => x.title === "惠州市桥梁健康监测设备采购");
  if (!tender) return;
  const slotDate = workingDayOnOrAfter(localDate(new Date(platformNow().getTime() + 3 * 86_400_000)));
  const drawing = await buyer<{ id: string }>("workflows.start", {
    workflowId: "experts.drawing",
    data: { tenderId: tender.id, committeeSize: 5, experts: 4, specialities: ["A", "B"], region: "441300", slotDate, slot: "am" },
  });
  await buyer("workflows.transition", { id: drawing.id, name: "draw" });
  tools.log(`[demo] experts: 4 experts drawn for ${tender.title} on ${slotDate}, invitations awaiting their answers`);
}
