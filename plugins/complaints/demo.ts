import { type DemoTools, localDate, platformNow } from "../../core/sdk";

/** e-trading's opened Huizhou demo tender (plugins/etrading/demo.ts): its bidders took part, so they may challenge. */
const TENDER_TITLE = "惠州市桥梁健康监测设备采购";

interface Listed {
  items: Array<{ id: string; title: string; registered?: boolean }>;
}

/**
 * On the opened Huizhou tender: the demo supplier's challenge of the opening, awaiting the purchaser's
 * answer; and huizhou.supplier2's challenge, answered, then complained of to Huizhou's finance bureau,
 * awaiting the regulator's intake.
 */
export async function complaintsDemo(d: DemoTools): Promise<void> {
  const supplier = d.as("huizhou.supplier");
  const supplier2 = d.as("huizhou.supplier2");
  const buyer = d.as("huizhou.buyer");
  const tender = (await supplier<Listed>("etrading.list", { q: TENDER_TITLE })).items.find((t) => t.title === TENDER_TITLE && t.registered);
  if (!tender) {
    d.log(`[demo] complaints: e-trading's opened tender "${TENDER_TITLE}" is not there; no challenges seeded`);
    return;
  }
  const today = localDate(platformNow());
  await supplier("complaints.file", {
    tenderId: tender.id, target: "process", knownOn: today, affectsResult: true,
    matters: [
      { text: "开标记录中第二名投标人的报价与其开标一览表不一致，请核实并说明。" },
      { text: "解密时间超过招标文件规定的30分钟，未按规定处理。" },
    ],
  });
  const second = await supplier2<{ id: string }>("complaints.file", {
    tenderId: tender.id, target: "process", knownOn: today, affectsResult: true,
    matters: [{ text: "开标现场未公布各投标人的保证金缴纳情况。" }, { text: "开标记录未由全部投标人确认即公布。" }],
  });
  await buyer("complaints.reply", { id: second.id, reply: "经核查，保证金情况已在开标系统中逐一公布，开标记录确认程序符合招标文件规定，质疑事项不成立。" });
  await supplier2("complaints.complain", { challengeId: second.id, matters: [1], statement: "采购人答复未附保证金公布的截图或记录，请求财政部门调取开标系统日志核实。" });
  d.log(`[demo] complaints: on "${TENDER_TITLE}", huizhou.supplier's challenge awaits huizhou.buyer's answer; huizhou.supplier2's complaint awaits huizhou.regulator`);
}
