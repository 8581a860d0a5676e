import { toMoney } from "../../../core/sdk";
import { STATUTE } from "./procedures";

/**
 * The notices e-trading hands the portal, in the national format: 政府采购公告和公示信息格式规范（2020年版）
 * (财办库〔2020〕50号). The portal stays generic: it shows the numbered sections it is given and knows
 * no procurement method, so the structure is decided here, once, from the tender's public facts only
 * (never the unit's budget code, never who obtained the documents or bid).
 */
export const NATIONAL_FORMAT = "政府采购公告和公示信息格式规范（2020年版）（财办库〔2020〕50号）";

export interface NoticeItem {
  label: string;
  value: string;
}
export interface NoticeSection {
  /** with its number, as the format writes it: "一、项目基本情况" */
  title: string;
  items: NoticeItem[];
}
export interface NoticeDocument {
  format: string;
  /** the format's name of the notice: 招标公告, 更正公告, 单一来源采购公示 … */
  kind: string;
  heading: string;
  sections: NoticeSection[];
}

/** What a notice may say: the tender's public facts. */
export interface NoticeFacts {
  tenderId: string;
  projectName: string;
  title: string;
  /** the plan's total (预算金额) */
  budget: string | null;
  maxPrice: string;
  requirements: string;
  qualifications: string;
  deposit?: { kind?: string; amount?: string } | null;
  creditQueryCutoff?: string | null;
  /** single source only: why, as the documents give it */
  singleSourceReason?: string | null;
  publishedAt: Date;
  docsUntil: string | null;
  bidDeadline: Date;
  openingAt: Date;
  purchaserName: string;
  agencyName: string | null;
}

const NUMERALS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];
const numbered = (sections: Array<[string, NoticeItem[]]>): NoticeSection[] => sections.map(([title, items], i) => ({ title: `${NUMERALS[i]}、${title}`, items }));

// Notices are read in Beijing time, whatever the server's zone.
const BEIJING = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false });
function beijing(at: Date | string): string {
  const p = Object.fromEntries(BEIJING.formatToParts(new Date(at)).map((x) => [x.type, x.value]));
  return `${p.year}年${p.month}月${p.day}日 ${p.hour}:${p.minute}（北京时间）`;
}
const day = (d: string) => `${d.slice(0, 4)}年${d.slice(5, 7)}月${d.slice(8, 10)}日`;
const localDay = (d: Date) => new Date(d.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
const yuan = (m: string) => `${toMoney(m)} 元`;
const SEE_DOCUMENTS = "详见采购文件";
const item = (label: string, value: string): NoticeItem => ({ label, value });
const link = (tenderId: string) => `本平台 /etrading/tenders/${tenderId}`;

function contacts(f: NoticeFacts): NoticeItem[] {
  return [
    item("采购人信息", `名称：${f.purchaserName}`),
    item("采购代理机构信息", f.agencyName ? `名称：${f.agencyName}` : "无（采购人自行组织）"),
    item("项目联系方式", `通过本平台项目页面提出询问：${link(f.tenderId)}`),
  ];
}

function others(f: NoticeFacts): NoticeItem[] {
  const items: NoticeItem[] = [];
  if (f.deposit?.kind === "deposit" && f.deposit.amount) items.push(item("投标保证金", yuan(f.deposit.amount)));
  else if (f.deposit?.kind) items.push(item("投标保证金", "不收取"));
  if (f.creditQueryCutoff) items.push(item("信用记录查询截止时点", beijing(f.creditQueryCutoff)));
  items.push(item("电子投标", "投标文件在本平台加密递交，开标时由供应商在线解密"));
  return items;
}

/** 招标公告 (公开招标): the seven numbered sections of the format, in its order. */
export function tenderNotice(f: NoticeFacts): NoticeDocument {
  const noticeDays = STATUTE["tender.noticePeriod"].value;
  return {
    format: NATIONAL_FORMAT,
    kind: "招标公告",
    heading: `${f.title}招标公告`,
    sections: numbered([
      ["项目基本情况", [
        item("项目编号", f.tenderId),
        item("项目名称", f.projectName),
        item("预算金额", f.budget ? yuan(f.budget) : SEE_DOCUMENTS),
        item("最高限价", yuan(f.maxPrice)),
        item("采购需求", f.requirements),
        item("合同履行期限", SEE_DOCUMENTS),
        item("本项目是否接受联合体投标", SEE_DOCUMENTS),
      ]],
      ["申请人的资格要求", [
        item("满足《中华人民共和国政府采购法》第二十二条规定", "是"),
        item("落实政府采购政策需满足的资格要求", SEE_DOCUMENTS),
        item("本项目的特定资格要求", f.qualifications),
      ]],
      ["获取招标文件", [
        item("时间", `${day(localDay(f.publishedAt))}至${day(f.docsUntil ?? localDay(f.bidDeadline))}`),
        item("地点", link(f.tenderId)),
        item("方式", "供应商登录本平台，在项目页面登记获取"),
        item("售价", "0 元"),
      ]],
      ["提交投标文件截止时间、开标时间和地点", [
        item("提交投标文件截止时间", beijing(f.bidDeadline)),
        item("开标时间", beijing(f.openingAt)),
        item("地点", `本平台开标大厅（在线开标）：/etrading/tenders/${f.tenderId}`),
      ]],
      ["公告期限", [item("公告期限", `自本公告发布之日起${noticeDays}个工作日`)]],
      ["其他补充事宜", others(f)],
      ["对本次招标提出询问，请按以下方式联系", contacts(f)],
    ]),
  };
}

/** What a corrigendum changed, named as the documents name it. */
const CHANGED: Record<string, string> = { title: "项目名称", maxPrice: "最高限价", requirements: "采购需求", scoring: "评审方法和评分标准", deposit: "投标保证金", creditQueryCutoff: "信用记录查询截止时点", bidDeadline: "提交投标文件截止时间和开标时间" };

function changedValue(key: string, value: unknown): string {
  if (key === "maxPrice" && typeof value === "string") return yuan(value);
  if ((key === "bidDeadline" || key === "creditQueryCutoff") && typeof value === "string") return beijing(value);
  if (key === "deposit" && value && typeof value === "object") {
    const d = value as { kind?: string; amount?: string };
    return d.kind === "deposit" && d.amount ? yuan(d.amount) : "不收取";
  }
  return String(value);
}

/** 更正公告: the format's six sections; the original notice is re-issued with the changes beside it. */
export function corrigendumNotice(f: NoticeFacts, c: { reason: string; changes: Record<string, unknown>; at: Date; originalPublishedAt: Date }): NoticeDocument {
  const changed = Object.entries(c.changes).filter(([k]) => k in CHANGED).map(([k, v]) => item(CHANGED[k], `更正为：${changedValue(k, v)}`));
  // a late corrigendum moves the deadline by itself (tender.clarification.leadTime): the notice says where it now is
  if (!("bidDeadline" in c.changes)) changed.push(item("提交投标文件截止时间和开标时间", beijing(f.bidDeadline)));
  return {
    format: NATIONAL_FORMAT,
    kind: "更正公告",
    heading: `${f.title}更正公告`,
    sections: numbered([
      ["项目基本情况", [
        item("原公告的采购项目编号", f.tenderId),
        item("原公告的采购项目名称", f.projectName),
        item("首次公告日期", day(localDay(c.originalPublishedAt))),
      ]],
      ["更正信息", [item("更正事项", "采购文件、采购公告"), item("更正原因", c.reason), ...changed, item("更正日期", day(localDay(c.at)))]],
      ["其他补充事宜", [item("已递交的投标文件", "须在本平台重新确认")]],
      ["凡对本次公告内容提出询问，请按以下方式联系", contacts(f)],
    ]),
  };
}

/** 单一来源采购公示: the format's sections, naming the one supplier as the law requires (singleSource.publicity). */
export function singleSourcePublicity(f: NoticeFacts, s: { supplierName: string; until: string }): NoticeDocument {
  return {
    format: NATIONAL_FORMAT,
    kind: "单一来源采购公示",
    heading: `${f.title}单一来源采购公示`,
    sections: numbered([
      ["项目信息", [
        item("采购人", f.purchaserName),
        item("项目名称", f.projectName),
        item("项目编号", f.tenderId),
        item("拟采购的货物或者服务的说明", f.requirements),
        item("拟采购的货物或者服务的预算金额", f.budget ? yuan(f.budget) : SEE_DOCUMENTS),
        item("采用单一来源采购方式的原因及相关说明", f.singleSourceReason || SEE_DOCUMENTS),
      ]],
      ["拟定供应商信息", [item("名称", s.supplierName)]],
      ["公示期限", [item("公示期限", `${day(localDay(f.publishedAt))}至${day(s.until)}（不少于${STATUTE["singleSource.publicity"].value}个工作日）`)]],
      ["其他补充事宜", [item("异议", "任何供应商、单位或者个人对采用单一来源采购方式公示有异议的，可以在公示期内将书面意见反馈给采购人、采购代理机构，并同时抄送同级财政部门")]],
      ["联系方式", contacts(f)],
    ]),
  };
}

/** The non-tender methods' notices: one section list in the format, under each method's own name. */
const NON_TENDER_KIND: Record<string, { kind: string; asked: string }> = {
  "competitive-negotiation": { kind: "竞争性谈判公告", asked: "谈判" },
  "competitive-consultation": { kind: "竞争性磋商公告", asked: "磋商" },
  inquiry: { kind: "询价公告", asked: "询价" },
};

/**
 * The format's own notice period for these three notices; the platform's rule list has no rule for it
 * (tender.noticePeriod is the 招标公告's), so it is the format's figure, not verified against a statute here.
 */
const NON_TENDER_NOTICE_DAYS = 3;

/** 竞争性谈判公告, 竞争性磋商公告, 询价公告: the eight numbered sections of the format. */
export function nonTenderNotice(method: string, f: NoticeFacts): NoticeDocument {
  const { kind } = NON_TENDER_KIND[method];
  return {
    format: NATIONAL_FORMAT,
    kind,
    heading: `${f.title}${kind}`,
    sections: numbered([
      ["项目基本情况", [
        item("项目编号", f.tenderId),
        item("项目名称", f.projectName),
        item("预算金额", f.budget ? yuan(f.budget) : SEE_DOCUMENTS),
        item("最高限价", yuan(f.maxPrice)),
        item("采购需求", f.requirements),
        item("合同履行期限", SEE_DOCUMENTS),
        item("本项目是否接受联合体", SEE_DOCUMENTS),
      ]],
      ["申请人的资格要求", [
        item("满足《中华人民共和国政府采购法》第二十二条规定", "是"),
        item("落实政府采购政策需满足的资格要求", SEE_DOCUMENTS),
        item("本项目的特定资格要求", f.qualifications),
      ]],
      ["获取采购文件", [
        item("时间", `${day(localDay(f.publishedAt))}至${day(f.docsUntil ?? localDay(f.bidDeadline))}`),
        item("地点", link(f.tenderId)),
        item("方式", "供应商登录本平台，在项目页面登记获取"),
        item("售价", "0 元"),
      ]],
      ["响应文件提交", [item("截止时间", beijing(f.bidDeadline)), item("地点", `本平台：/etrading/tenders/${f.tenderId}`)]],
      ["开启", [item("时间", beijing(f.openingAt)), item("地点", `本平台开标大厅（在线开启）：/etrading/tenders/${f.tenderId}`)]],
      ["公告期限", [item("公告期限", `自本公告发布之日起${NON_TENDER_NOTICE_DAYS}个工作日`)]],
      ["其他补充事宜", others(f)],
      ["凡对本次采购提出询问，请按以下方式联系", contacts(f)],
    ]),
  };
}

/** The notice a method publishes to the portal when it publishes by notice; null when it does not (invited tender: invitations only). */
export function noticeOf(method: string, f: NoticeFacts): NoticeDocument | null {
  if (method === "public-tender") return tenderNotice(f);
  if (method in NON_TENDER_KIND) return nonTenderNotice(method, f);
  return null;
}
