import { type DemoTools, money, toMoney } from "../../core/sdk";

/** The demo's institutions (tenants/demo-accounts.csv: gd.bank, huizhou.insurer) and who admits them. */
const PROVINCE_REGULATOR = "gd.regulator";
const BANK = { code: "914400001903427525", name: "中国建设银行股份有限公司广东省分行", kind: "bank", regions: ["440000"], collectionAccount: "44050110000100000001" };
const INSURER = { code: "91441300MA4UH8T31K", name: "中国人民财产保险股份有限公司惠州市分公司", kind: "insurer", regions: ["441300"] };
/** e-trading's demo tenders (plugins/etrading/demo.ts) still taking bids for weeks, each asking a guarantee */
const HUIZHOU_OPEN = "惠州市城区道路照明节能改造设备采购";
const PROVINCE_OPEN = "广东省高速公路服务区充电设施采购";
/** supervision's demo project whose contract is filed and accepted, not yet paid, won by huizhou.supplier (plugins/supervision/demo.ts) */
const FILED_CONTRACT = "惠州市路政执法车辆采购";

/**
 * Both institutions admitted by the province; on ① huizhou.supplier's e-guarantee issued by the
 * insurer (its code checks at /finance/verify) and huizhou.supplier3's deposit awaiting the agency's
 * confirmation; on ④ huizhou.supplier2's application pending at the bank; huizhou.supplier's contract
 * financing application against its filed contract, pending at the bank.
 */
export async function financeDemo(d: DemoTools): Promise<void> {
  const province = d.as(PROVINCE_REGULATOR);
  await province("finance.institutions.register", BANK);
  await province("finance.institutions.register", INSURER);
  const tenderOf = async (who: ReturnType<DemoTools["as"]>, title: string) =>
    (await who<{ items: Array<{ id: string; title: string }> }>("etrading.list", { q: title })).items.find((x) => x.title === title);

  const supplier = d.as("huizhou.supplier");
  const huizhou = await tenderOf(supplier, HUIZHOU_OPEN);
  if (huizhou) {
    const applied = await supplier<{ id: string }>("finance.guarantees.apply", { tenderId: huizhou.id, institutionCode: INSURER.code });
    const issued = await d.as("huizhou.insurer")<{ verificationCode: string }>("finance.guarantees.decide", { id: applied.id, approve: true });
    d.log(`[demo] finance: huizhou.insurer issued huizhou.supplier's e-guarantee for 「${HUIZHOU_OPEN}」: check code ${issued.verificationCode} at /finance/verify`);
    const third = d.as("huizhou.supplier3");
    await third("finance.deposits.declare", { tenderId: huizhou.id, form: "draft", reference: "HZ-DRF-20261207" });
    d.log(`[demo] finance: huizhou.supplier3's deposit (a bank draft) on 「${HUIZHOU_OPEN}」 awaits huizhou.agency at /finance/deposits`);
  }
  const projects = await supplier<{ items: Array<{ id: string; name: string; contractFiledOn: string | null; contractAmount: string | null }> }>("supervision.list", { pageSize: 100 });
  const filed = projects.items.find((p) => p.name === FILED_CONTRACT && p.contractFiledOn);
  if (filed) {
    // half the contract, for half a year
    const amount = toMoney(money(filed.contractAmount!).dividedBy(2).toDecimalPlaces(2, 1));
    await supplier("finance.financing.apply", { projectId: filed.id, institutionCode: BANK.code, amount, days: 180, consent: true });
    d.log(`[demo] finance: huizhou.supplier's contract financing on 「${FILED_CONTRACT}」 awaits gd.bank at /finance/inbox; approved, the lock shows at /projects/${filed.id}`);
  }
  const second = d.as("huizhou.supplier2");
  const gd = await tenderOf(second, PROVINCE_OPEN);
  if (gd) {
    await second("finance.guarantees.apply", { tenderId: gd.id, institutionCode: BANK.code });
    d.log(`[demo] finance: huizhou.supplier2's e-guarantee for 「${PROVINCE_OPEN}」 awaits gd.bank at /finance/inbox`);
  }
}
