import { type DemoTools, localDate } from "../../core/sdk";

/** The demo's people (tenants/demo-accounts.csv). */
const PROVINCE_REGULATOR = "gd.regulator";
const REGULATOR = "huizhou.regulator";
/** a Huizhou supplier on the dishonest-debtor list (失信被执行人) */
const LISTED = "huizhou.listed";
/** e-trading's demo supplier that bids as a consortium with the listed one */
const LEAD = "huizhou.supplier3";
/** the tender of e-trading's demo whose bids close minutes after the start */
const CLOSING = "惠州市公交站台电子站牌采购";

/** the rating round's people and project (supervision's demo project paid in full, run on the old execution platform) */
const BUYER = "huizhou.buyer";
const AGENCY = "huizhou.agency";
const EXPERT = "huizhou.expert";
const RATED = "惠州市道路标线涂料采购";

const DAY = 86_400_000;

/**
 * The lists as the province's regulator imported them 40 days ago (before every demo tender's
 * cutoff), a penalty of the Huizhou regulator, and a consortium: huizhou.supplier3 names the listed
 * supplier as its member on the tender that closes minutes after the start, so at that cutoff the
 * screening excludes it (credit.consortium) and the committee sees why in the snapshot.
 */
export async function creditDemo(d: DemoTools): Promise<void> {
  const province = d.as(PROVINCE_REGULATOR);
  const regulator = d.as(REGULATOR);
  const unitOf = async (who: ReturnType<DemoTools["as"]>) => (await who<{ user: { unitCode: string } }>("auth.me")).user.unitCode;
  const listed = await unitOf(d.as(LISTED));
  const [first, second] = [await unitOf(d.as("huizhou.supplier")), await unitOf(d.as("huizhou.supplier2"))];
  const now = Date.now();
  d.travelTo(new Date(now - 40 * DAY));
  const fetchedAt = new Date(now - 41 * DAY).toISOString();
  const version = localDate(new Date(now - 41 * DAY));
  const load = async (list: string, rows: Array<Record<string, string>>) => {
    const job = await province<{ id: string }>("credit.lists.create", { list, version, source: "https://www.creditchina.gov.cn/", fetchedAt, format: "json" });
    await province("credit.lists.rows", { id: job.id, rows });
  };
  await load("dishonest-debtors", [
    { code: listed, name: "惠州市诚达照明工程有限公司", reason: "有履行能力而拒不履行生效法律文书确定义务", authority: "惠州市惠城区人民法院", caseNumber: "（2025）粤1302执1234号", listedOn: "2025-09-12" },
    { code: "91441300MA53HX2K9L", name: "惠州市宏远建材贸易有限公司", reason: "违反财产报告制度", authority: "惠州市中级人民法院", caseNumber: "（2025）粤13执567号", listedOn: "2025-11-03" },
  ]);
  await load("procurement-violations", [
    { code: "91441300MA57QW3N1X", name: "惠州市捷安安防工程有限公司", reason: "提供虚假材料谋取中标", authority: "惠州市财政局", listedOn: "2026-03-01", until: "2029-02-28" },
  ]);
  // two demo suppliers under the same legal representative: flagged to the committee (supplier.relatedParties)
  await load("enterprise-registrations", [
    { code: first, name: "惠州市绿源照明科技有限公司", legalRepresentative: "陈志明" },
    { code: second, name: "惠州市明途光电科技有限公司", legalRepresentative: "陈志明" },
  ]);
  d.travelTo(new Date(now - 20 * DAY));
  await regulator("credit.files.penalty", {
    subjectCode: listed, subjectKind: "supplier", subjectName: "惠州市诚达照明工程有限公司",
    title: { "zh-CN": "提供虚假材料参加政府采购活动，罚款并列入不良行为记录", en: "False documents in a procurement: fined and put on the bad-conduct record" },
    reference: "惠财采罚〔2026〕12号", occurredOn: localDate(new Date(now - 20 * DAY)), startsOn: localDate(new Date(now - 20 * DAY)), endsOn: localDate(new Date(now + 345 * DAY)), bars: true, published: true,
  });

  // the consortium, declared before that tender's deadline
  d.travelTo(new Date(now));
  const lead = d.as(LEAD);
  const found = await lead<{ items: Array<{ id: string; title: string }> }>("etrading.list", { q: CLOSING });
  const tender = found.items.find((x) => x.title === CLOSING);
  if (tender) {
    await lead("etrading.screening.consortium", { id: tender.id, members: [{ code: listed, name: "惠州市诚达照明工程有限公司" }] });
    d.log(`[demo] credit: ${LEAD} bids on 「${CLOSING}」 with listed ${LISTED} as its consortium member: excluded at the cutoff (/etrading/tenders/${tender.id}/screening)`);
  }
  d.log(`[demo] credit: three lists imported by ${PROVINCE_REGULATOR}, a penalty by ${REGULATOR}; public page /credit`);

  await ratingsDemo(d, regulator, unitOf);
}

/**
 * A rating round (一项目一评价) for supervision's demo project completed on the old execution platform,
 * opened today: two ratings given (a losing supplier rates the purchaser, the expert the agency), the
 * purchaser's two still owed (the supplier and the agency, at /credit/ratings); and a warning in
 * huizhou.supplier2's credit file, which its quarter score counts.
 */
async function ratingsDemo(d: DemoTools, regulator: ReturnType<DemoTools["as"]>, unitOf: (who: ReturnType<DemoTools["as"]>) => Promise<string>): Promise<void> {
  const today = localDate(new Date());
  const [buyer, agency, winner, loser] = await Promise.all([BUYER, AGENCY, "huizhou.supplier", "huizhou.supplier2"].map((u) => unitOf(d.as(u))));
  const expert = (await d.as(EXPERT)<{ user: { id: string } }>("auth.me")).user.id;
  const round = await d.as(d.admin)<{ id: string }>("credit.ratings.open", {
    source: "legacy", sourceId: "惠州市道路标线涂料采购", tenantCode: "441300", title: RATED, completedOn: today,
    purchaser: { code: buyer, name: "惠州市交通运输局" }, agency: { code: agency, name: "惠州市公共资源交易代理有限公司" }, experts: [expert],
    suppliers: [{ code: winner, name: "惠州市绿源照明科技有限公司", winner: true }, { code: loser, name: "惠州市明途光电科技有限公司", winner: false }],
  });
  await d.as("huizhou.supplier2")("credit.ratings.rate", { roundId: round.id, rateeCode: buyer, stars: 4, comment: "答疑及时，付款按期" });
  await d.as(EXPERT)("credit.ratings.rate", { roundId: round.id, rateeCode: agency, stars: 5, comment: "组织有序，资料齐全" });
  await regulator("credit.files.penalty", {
    subjectCode: loser, subjectKind: "supplier", subjectName: "惠州市明途光电科技有限公司",
    title: { "zh-CN": "未按合同约定期限交货，予以警告", en: "Goods delivered after the contract's date: a warning" },
    reference: "惠财采监〔2026〕7号", occurredOn: today, published: false,
  });
  d.log(`[demo] credit: a rating round for 「${RATED}」: ${BUYER} rates the supplier and the agency at /credit/ratings, where each party sees its quarter score and formula`);
}
