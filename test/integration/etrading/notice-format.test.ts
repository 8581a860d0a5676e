import { STATUTE } from "../../../plugins/etrading/services/procedures";
import { AGENCY, ok, SUPPLIERS, type Trading, trading, UNITS } from "./support";

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function poll<T>(what: string, get: () => Promise<T>, good: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const v = await get();
    if (good(v)) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The national format's (财办库〔2020〕50号) section titles, in its order. */
const TENDER_SECTIONS = ["一、项目基本情况", "二、申请人的资格要求", "三、获取招标文件", "四、提交投标文件截止时间、开标时间和地点", "五、公告期限", "六、其他补充事宜", "七、对本次招标提出询问，请按以下方式联系"];
const CORRIGENDUM_SECTIONS = ["一、项目基本情况", "二、更正信息", "三、其他补充事宜", "四、凡对本次公告内容提出询问，请按以下方式联系"];
const PUBLICITY_SECTIONS = ["一、项目信息", "二、拟定供应商信息", "三、公示期限", "四、其他补充事宜", "五、联系方式"];

/** A section's items as label → value. */
const itemsOf = (doc: Any, title: string): Record<string, string> => Object.fromEntries(doc.sections.find((s: Any) => s.title === title).items.map((i: Any) => [i.label, i.value]));

describe("the tender notice reaches the public portal in the national format (财办库〔2020〕50号)", () => {
  let t: Trading;
  beforeAll(async () => {
    t = await trading();
  }, 120_000);
  afterAll(() => t.platform.stop());
  afterEach(() => t.platform.kernel.clock.reset());

  /** The portal's notice of a tender, once its fields satisfy `good`. */
  async function portalNotice(title: string, good: (n: Any) => boolean): Promise<Any> {
    return poll<Any | null>(`the portal notice of ${title}`, async () => {
      const list = ok(await t.call("admin", `/api/portal/notices?tenant=441300&type=tender&q=${encodeURIComponent(title)}`));
      if (!list.items.length) return null;
      // anonymous, as the public reads it
      return ok(await t.platform.api(`/api/portal/notices/${list.items[0].id}`));
    }, (n) => !!n && good(n)) as Promise<Any>;
  }

  test("publishing an open tender puts a 招标公告 with the national sections in order and the tender's facts (tender.noticePeriod); a corrigendum adds the 更正公告, a clarification moving the deadline re-issues it; no budget code, no bidder names", async () => {
    const title = "惠州市国家格式公告路灯项目";
    const projectId = await t.filedProject("public-tender", "2021-03-01", "1400000.00", true);
    const s = ok(await t.start("agency", "etrading.public-tender", t.documents(projectId, { title })), 201);
    ok(await t.take("agency", s.id, "publish"));

    const first = await portalNotice(title, (n) => !!n.fields.notice);
    const notice = first.fields.notice;
    expect(notice).toMatchObject({ kind: "招标公告", heading: `${title}招标公告`, format: expect.stringContaining("财办库〔2020〕50号") });
    expect(notice.sections.map((x: Any) => x.title)).toEqual(TENDER_SECTIONS);
    expect(itemsOf(notice, TENDER_SECTIONS[0])).toMatchObject({ 项目编号: s.id, 项目名称: expect.stringContaining("惠州市道路照明设备采购"), 预算金额: "1400000.00 元", 最高限价: "1350000.00 元", 采购需求: t.documents(projectId).requirements });
    expect(itemsOf(notice, TENDER_SECTIONS[1])).toMatchObject({ 本项目的特定资格要求: t.documents(projectId).qualifications });
    // published 2021-03-01; the documents are on offer 5 working days (tender.docAvailability), to 03-08
    expect(itemsOf(notice, TENDER_SECTIONS[2])).toEqual({ 时间: "2021年03月01日至2021年03月08日", 地点: `本平台 /etrading/tenders/${s.id}`, 方式: "供应商登录本平台，在项目页面登记获取", 售价: "0 元" });
    expect(itemsOf(notice, TENDER_SECTIONS[3])).toMatchObject({ 提交投标文件截止时间: "2021年03月29日 09:30（北京时间）", 开标时间: "2021年03月29日 09:30（北京时间）", 地点: expect.stringContaining("开标大厅") });
    // tender.noticePeriod: 5 working days from the notice's publication
    expect(STATUTE["tender.noticePeriod"].value).toBe(5);
    expect(itemsOf(notice, TENDER_SECTIONS[4])).toEqual({ 公告期限: "自本公告发布之日起5个工作日" });
    expect(itemsOf(notice, TENDER_SECTIONS[5])).toMatchObject({ 投标保证金: "20000.00 元", 信用记录查询截止时点: "2021年03月01日 09:00（北京时间）" });
    expect(itemsOf(notice, TENDER_SECTIONS[6])).toMatchObject({ 采购人信息: "名称：惠州市交通运输局", 采购代理机构信息: `名称：${AGENCY.name}` });
    expect(JSON.stringify(first)).not.toContain(UNITS.buyer.budgetCode);

    // suppliers obtain the documents; the agency then corrects the price and the requirements
    for (const who of ["smallSupplier", "supplier1"]) ok(await t.call(who, `/api/etrading/tenders/${s.id}/registrations`, { method: "POST" }));
    t.travel("2021-03-03");
    ok(await t.take("agency", s.id, "corrigendum", { reason: "最高限价更正", maxPrice: "1300000.00", requirements: "LED路灯1100盏，色温4000K" }));
    const amended = await portalNotice(title, (n) => !!n.fields.corrigendumNotice);
    const corrigendum = amended.fields.corrigendumNotice;
    expect(corrigendum).toMatchObject({ kind: "更正公告", heading: `${title}更正公告` });
    expect(corrigendum.sections.map((x: Any) => x.title)).toEqual(CORRIGENDUM_SECTIONS);
    expect(itemsOf(corrigendum, CORRIGENDUM_SECTIONS[0])).toMatchObject({ 原公告的采购项目编号: s.id, 首次公告日期: "2021年03月01日" });
    expect(itemsOf(corrigendum, CORRIGENDUM_SECTIONS[1])).toMatchObject({ 更正原因: "最高限价更正", 最高限价: "更正为：1300000.00 元", 采购需求: "更正为：LED路灯1100盏，色温4000K", 提交投标文件截止时间和开标时间: "2021年03月29日 09:30（北京时间）", 更正日期: "2021年03月03日" });
    // the 招标公告 is re-issued with the corrected facts
    expect(amended.fields.notice.sections.map((x: Any) => x.title)).toEqual(TENDER_SECTIONS);
    expect(itemsOf(amended.fields.notice, TENDER_SECTIONS[0])).toMatchObject({ 最高限价: "1300000.00 元", 采购需求: "LED路灯1100盏，色温4000K" });
    expect(amended.updatedAt).not.toBeNull();
    // a clarification late enough to move the deadline (tender.clarification.leadTime) re-issues the notice with the new one;
    // taken once the documents' period has closed (its extensions due by 03-20 fired), as it would have in real time
    await t.settled(s.id, "2021-03-20");
    const moved = ok(await t.take("agency", s.id, "clarify", { text: "安装时间为夜间" }));
    expect(moved.data.deadlineMoved).toBe(true);
    const b = new Date(Date.parse(moved.data.bidDeadline) + 8 * 3_600_000).toISOString();
    const beijing = `${b.slice(0, 4)}年${b.slice(5, 7)}月${b.slice(8, 10)}日 ${b.slice(11, 16)}（北京时间）`;
    const clarified = await portalNotice(title, (n) => itemsOf(n.fields.notice, TENDER_SECTIONS[3]).提交投标文件截止时间 === beijing);
    expect(itemsOf(clarified.fields.notice, TENDER_SECTIONS[3]).开标时间).toBe(beijing);
    const text = JSON.stringify(clarified);
    for (const secret of [UNITS.buyer.budgetCode, SUPPLIERS.small.name, SUPPLIERS.small.creditCode]) expect(text).not.toContain(secret);
  });

  test.each([
    ["competitive-negotiation", "竞争性谈判公告", "2021-03-04T09:30:00+08:00", "2021年03月04日 09:30（北京时间）"],
    ["competitive-consultation", "竞争性磋商公告", "2021-03-11T09:30:00+08:00", "2021年03月11日 09:30（北京时间）"],
    ["inquiry", "询价公告", "2021-03-04T09:30:00+08:00", "2021年03月04日 09:30（北京时间）"],
  ])("%s publishes its own notice (%s) in the format's eight sections, in order", async (method, kind, bidDeadline, shown) => {
    const title = `惠州市国家格式${kind}项目`;
    const projectId = await t.filedProject("public-tender", "2021-03-01", "800000.00");
    const s = ok(await t.start("buyer", `etrading.${method}`, t.documents(projectId, { title, maxPrice: "800000.00", deposit: { kind: "deposit", amount: "16000.00" }, bidDeadline })), 201);
    ok(await t.take("buyer", s.id, "publish"));
    const notice = (await portalNotice(title, (n) => !!n.fields.notice)).fields.notice;
    expect(notice).toMatchObject({ kind, heading: `${title}${kind}` });
    expect(notice.sections.map((x: Any) => x.title)).toEqual(["一、项目基本情况", "二、申请人的资格要求", "三、获取采购文件", "四、响应文件提交", "五、开启", "六、公告期限", "七、其他补充事宜", "八、凡对本次采购提出询问，请按以下方式联系"]);
    expect(itemsOf(notice, "一、项目基本情况")).toMatchObject({ 项目编号: s.id, 预算金额: "800000.00 元", 最高限价: "800000.00 元" });
    expect(itemsOf(notice, "四、响应文件提交").截止时间).toBe(shown);
    expect(itemsOf(notice, "五、开启").时间).toBe(shown);
    // the format's 3 working days: no rule in the platform's list (tender.noticePeriod is the 招标公告's)
    expect(itemsOf(notice, "六、公告期限")).toEqual({ 公告期限: "自本公告发布之日起3个工作日" });
  });

  test("a single source puts a 单一来源采购公示 naming the one supplier for 5 working days (singleSource.publicity)", async () => {
    const title = "惠州市国家格式单一来源项目";
    const projectId = await t.filedProject("single-source", "2021-03-01");
    const s = ok(await t.start("buyer", "etrading.single-source", t.documents(projectId, { title, invitees: [SUPPLIERS.small.creditCode], singleSourceReason: "原有路灯控制系统的唯一兼容供应商", bidDeadline: "2021-03-10T09:30:00+08:00" })), 201);
    ok(await t.take("buyer", s.id, "publish"));
    const n = await portalNotice(title, (x) => !!x.fields.notice);
    const publicity = n.fields.notice;
    expect(publicity).toMatchObject({ kind: "单一来源采购公示", heading: `${title}单一来源采购公示` });
    expect(publicity.sections.map((x: Any) => x.title)).toEqual(PUBLICITY_SECTIONS);
    expect(itemsOf(publicity, PUBLICITY_SECTIONS[0])).toMatchObject({ 采购人: "惠州市交通运输局", 项目编号: s.id, "拟采购的货物或者服务的预算金额": "1400000.00 元", 采用单一来源采购方式的原因及相关说明: "原有路灯控制系统的唯一兼容供应商" });
    expect(itemsOf(publicity, PUBLICITY_SECTIONS[1])).toEqual({ 名称: SUPPLIERS.small.name });
    // singleSource.publicity: published 03-01, 5 working days to 03-08
    expect(STATUTE["singleSource.publicity"].value).toBe(5);
    expect(itemsOf(publicity, PUBLICITY_SECTIONS[2])).toEqual({ 公示期限: "2021年03月01日至2021年03月08日（不少于5个工作日）" });
    expect(JSON.stringify(n)).not.toContain(UNITS.buyer.budgetCode);
  });
});
