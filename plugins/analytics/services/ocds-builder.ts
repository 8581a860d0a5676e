import { createHash } from "node:crypto";

/**
 * OCDS 1.1.5 releases from the facts the modules announce (README.md, "Facts"). Pure functions: what
 * a release says depends on the fact and the project's context only, so that a redelivered event
 * builds the same release, with the same id, and the store keeps it once.
 *
 * Every field is mapped by name from the fact: nothing of an event is copied wholesale, so a field a
 * module adds later (a bid, a person's name) stays out until someone maps it on purpose.
 */

export const STAGES = ["planning", "plan", "tender", "tenderAmendment", "tenderCancellation", "award", "contract", "payment"] as const;
export type Stage = (typeof STAGES)[number];

/** The platform's procurement methods (forms/supervision/supervision.plan.schema.json `method`). */
export const METHODS = ["public-tender", "invited-tender", "competitive-negotiation", "competitive-consultation", "single-source", "inquiry", "emall-direct", "emall-bidding", "designated-point"] as const;
export type Method = (typeof METHODS)[number];

/** How the suppliers were invited (74号令 §12, 87号令 §14): what decides the OCDS method. */
export const INVITATIONS = ["notice", "prequalification", "registry", "recommendation"] as const;
export type Invitation = (typeof INVITATIONS)[number];

/** The bids an award counted (OCDS `tender.numberOfTenderers`), when its fact publishes them. */
export const bidCount = (v: unknown): number | undefined => {
  const n = typeof v === "string" && /^\d+$/.test(v.trim()) ? Number(v) : v;
  return typeof n === "number" && Number.isInteger(n) && n >= 1 ? n : undefined;
};

export interface Fact {
  stage: Stage;
  /** the project: the ocid is the prefix and this id */
  projectId: string;
  /** the instance that announced it, and its version: the release's id */
  instanceId: string;
  version: number;
  tenantCode: string;
  /** when it happened (the event's time): the release's date */
  at: string;
  /** the public fields the workflow declared for the analytics */
  data: Record<string, unknown>;
}

/** What earlier facts of a project told, for the releases that need it (a payment names its payee). */
export interface ProjectContext {
  buyerName?: string | null;
  supplierName?: string | null;
  title?: string | null;
  method?: Method | null;
  /** a tender notice was published: only then is a cancellation news (a draft's is not) */
  tendered?: boolean;
  /**
   * a payment was heard: from then on every release names the buyer as payer and the supplier as payee too.
   * Releases compile in date order and a party's roles are replaced, not added (OCDS's merge), so a fact heard
   * after a payment (facts arrive in any order) must not drop the roles the payment gave.
   */
  paid?: boolean;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Release = Record<string, any>;

export const CURRENCY = "CNY";

interface MethodMapping {
  zh: string;
  /** the OCDS code by invitation; undefined: OCDS sets none (a non-competitive framework call-off) */
  code: (invitation: Invitation | undefined) => "open" | "selective" | "limited" | "direct" | undefined;
  /** the usual invitation when the fact does not say */
  usual?: Invitation;
  rationale?: string;
}

const byInvitation = (usual: Invitation) => (inv: Invitation | undefined) => {
  switch (inv ?? usual) {
    case "notice":
      return "open" as const;
    case "prequalification":
      return "selective" as const;
    default:
      return "limited" as const;
  }
};

/** ../shared/reference/ocds/README.md, "Mapping China's procurement methods": the invitation decides. */
export const METHOD_MAP: Record<Method, MethodMapping> = {
  "public-tender": { zh: "公开招标", code: () => "open" },
  "invited-tender": { zh: "邀请招标", code: byInvitation("prequalification"), usual: "prequalification" },
  "competitive-negotiation": { zh: "竞争性谈判", code: byInvitation("notice"), usual: "notice" },
  "competitive-consultation": { zh: "竞争性磋商", code: byInvitation("notice"), usual: "notice" },
  inquiry: { zh: "询价", code: byInvitation("notice"), usual: "notice" },
  "single-source": { zh: "单一来源", code: () => "direct", rationale: "政府采购法第三十一条：只能从唯一供应商处采购等情形" },
  "emall-direct": { zh: "电子卖场直接订购", code: () => "direct", rationale: "电子卖场直接订购：采购人在入驻商品中直接选定" },
  "emall-bidding": { zh: "电子卖场网上竞价", code: () => "selective", rationale: "电子卖场网上竞价：仅限入驻电子卖场的供应商参与" },
  "designated-point": { zh: "电子卖场定点采购", code: () => undefined, rationale: "电子卖场定点采购：在入围的定点供应商中选定（框架协议第二阶段，非竞争）" },
};

const INVITATION_RATIONALE: Record<Invitation, string> = {
  notice: "",
  prequalification: "发布资格预审公告，从合格供应商中随机抽取不少于3家邀请（87号令第十四条第一项）",
  registry: "从省级供应商库中随机抽取不少于3家邀请（74号令第十二条）",
  recommendation: "由采购人和评审专家书面推荐供应商（74号令第十二条）",
};

const str = (v: unknown): string | undefined => (typeof v === "string" && v.trim() ? v.trim() : undefined);
const isMethod = (v: unknown): v is Method => (METHODS as readonly unknown[]).includes(v);
const isInvitation = (v: unknown): v is Invitation => (INVITATIONS as readonly unknown[]).includes(v);

/** A platform amount ("500000.00") as OCDS's number, or undefined when there is none. */
export function amount(v: unknown): { amount: number; currency: string } | undefined {
  const s = typeof v === "number" ? String(v) : str(v);
  if (s === undefined || !/^-?\d+(\.\d+)?$/.test(s)) return undefined;
  return { amount: Number(s), currency: CURRENCY };
}

/** A platform day (YYYY-MM-DD, China's) as an OCDS date-time; a full time stays as it is. */
export function dateTime(v: unknown): string | undefined {
  const s = str(v);
  if (!s) return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return `${s}T00:00:00+08:00`;
  return Number.isNaN(Date.parse(s)) ? undefined : s;
}

/**
 * An organisation's id in `parties`: the publication names buyers and suppliers, never their budget
 * codes (a purchasing unit's accounts' first password, core/access/unit-code.ts), so the id is a
 * digest of the published name: stable across releases, and telling nothing the name does not.
 */
export function partyId(role: "buyer" | "supplier", name: string): string {
  return `GD-${role === "buyer" ? "BUYER" : "SUPPLIER"}-${createHash("sha256").update(name.normalize("NFKC")).digest("hex").slice(0, 16)}`;
}

const drop = <T extends Record<string, unknown>>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export const ocidOf = (prefix: string, projectId: string) => `${prefix}-${projectId}`;
export const releaseIdOf = (f: Pick<Fact, "stage" | "instanceId" | "version">) => `${f.stage}-${f.instanceId}-${f.version}`;
/** One award and one contract per project in the supervision's stages: ids a later stage can name. */
export const awardIdOf = (ocid: string) => `${ocid}-award-1`;
export const contractIdOf = (ocid: string) => `${ocid}-contract-1`;
export const tenderIdOf = (ocid: string) => `${ocid}-tender`;

const TAG: Record<Stage, string> = {
  planning: "planning",
  plan: "planningUpdate",
  tender: "tender",
  tenderAmendment: "tenderAmendment",
  tenderCancellation: "tenderCancellation",
  award: "award",
  contract: "contract",
  payment: "implementation",
};

/** The method's fields of `tender`, with the extension's `chinaMethod` (README.md, "Extension"). */
function methodFields(method: Method | undefined, inv: Invitation | undefined): Release {
  if (!method) return {};
  const m = METHOD_MAP[method];
  const invitation = inv ?? m.usual;
  const code = m.code(invitation);
  const rationale = [m.rationale, code !== "open" && invitation ? INVITATION_RATIONALE[invitation] : undefined].filter(Boolean).join("；");
  return drop({
    procurementMethod: code,
    procurementMethodDetails: m.zh,
    procurementMethodRationale: code === "open" || !rationale ? undefined : rationale,
    chinaMethod: drop({ code: method, invitation }),
  });
}

/** What the fact and the project know, merged into the context later facts build on. */
export function contextAfter(ctx: ProjectContext, f: Fact): ProjectContext {
  const d = f.data;
  return {
    buyerName: str(d.purchaserName) ?? ctx.buyerName ?? null,
    supplierName: str(d.supplierName) ?? ctx.supplierName ?? null,
    title: str(d.projectName) ?? str(d.title) ?? ctx.title ?? null,
    method: isMethod(d.method) ? d.method : (ctx.method ?? null),
    tendered: ctx.tendered || f.stage === "tender" || f.stage === "tenderAmendment",
    paid: ctx.paid || f.stage === "payment",
  };
}

/** The release a fact makes, in the project's context (which already includes the fact: contextAfter). */
export function buildRelease(prefix: string, f: Fact, ctx: ProjectContext): Release {
  const ocid = ocidOf(prefix, f.projectId);
  const d = f.data;
  const parties: Release[] = [];
  let buyer: Release | undefined;
  if (ctx.buyerName) {
    buyer = { id: partyId("buyer", ctx.buyerName), name: ctx.buyerName };
    parties.push({ ...buyer, roles: ctx.paid ? ["buyer", "procuringEntity", "payer"] : ["buyer", "procuringEntity"] });
  }
  let supplier: Release | undefined;
  const supplierKnown = f.stage === "award" || f.stage === "contract" || f.stage === "payment";
  if (supplierKnown && ctx.supplierName) {
    supplier = { id: partyId("supplier", ctx.supplierName), name: ctx.supplierName };
    parties.push({ ...supplier, roles: ctx.paid ? ["supplier", "payee"] : ["supplier"] });
  }

  const release: Release = {
    ocid,
    id: releaseIdOf(f),
    date: f.at,
    tag: [TAG[f.stage]],
    initiationType: "tender",
    language: "zh",
    ...(parties.length ? { parties } : {}),
    ...(buyer ? { buyer } : {}),
  };
  const tender: Release = { id: tenderIdOf(ocid) };
  const method = isMethod(d.method) ? d.method : (ctx.method ?? undefined);
  const invitation = isInvitation(d.invitation) ? d.invitation : undefined;

  switch (f.stage) {
    case "planning": {
      release.planning = drop({
        budget: drop({ amount: amount(d.budget), description: str(d.summary) }),
        intention: drop({ publishedDate: dateTime(d.publishedAt) ?? f.at, expectedMonth: str(d.expectedMonth) }),
      });
      Object.assign(tender, drop({ title: str(d.projectName), description: str(d.summary), status: "planned" }));
      break;
    }
    case "plan": {
      release.planning = drop({ budget: drop({ amount: amount(d.total) }) });
      Object.assign(tender, drop({ title: ctx.title ?? undefined, status: "planned", value: amount(d.total), ...methodFields(method, invitation) }));
      break;
    }
    case "tender":
    case "tenderAmendment": {
      const period = drop({ startDate: dateTime(d.publishedOn) ?? f.at, endDate: dateTime(d.bidDeadline) });
      Object.assign(tender, drop({
        title: str(d.title) ?? ctx.title ?? undefined,
        status: "active",
        value: amount(d.maxPrice),
        tenderPeriod: period,
        enquiryPeriod: dateTime(d.docsUntil) ? { startDate: period.startDate, endDate: dateTime(d.docsUntil) } : undefined,
        submissionMethod: ["electronicSubmission"],
        ...methodFields(method, invitation),
      }));
      if (f.stage === "tenderAmendment") tender.amendments = [drop({ id: `amendment-${f.instanceId}-${f.version}`, date: f.at, rationale: str(d.rationale) ?? str(d.reason) ?? "更正公告" })];
      break;
    }
    case "tenderCancellation":
      Object.assign(tender, { status: "cancelled" });
      break;
    case "award": {
      // the count of bids is public once the award is; their contents never reach the analytics
      Object.assign(tender, { status: "complete", ...methodFields(method, invitation), ...drop({ numberOfTenderers: bidCount(d.bidders) }) });
      release.awards = [drop({ id: awardIdOf(ocid), status: "active", date: dateTime(d.awardDate) ?? f.at, value: amount(d.amount), suppliers: supplier ? [supplier] : undefined })];
      break;
    }
    case "contract": {
      const period = drop({ startDate: dateTime(d.startDate), endDate: dateTime(d.endDate) });
      release.contracts = [
        drop({
          id: contractIdOf(ocid),
          awardID: awardIdOf(ocid),
          title: ctx.title ?? undefined,
          status: "active",
          value: amount(d.amount),
          dateSigned: dateTime(d.signedOn),
          period: Object.keys(period).length ? period : undefined,
          filingDate: dateTime(d.filedOn),
        }),
      ];
      break;
    }
    case "payment": {
      const transaction = drop({ id: `payment-${f.instanceId}`, date: dateTime(d.paidOn) ?? f.at, value: amount(d.amount), payer: buyer, payee: supplier });
      release.contracts = [{ id: contractIdOf(ocid), awardID: awardIdOf(ocid), implementation: { transactions: [transaction] } }];
      break;
    }
  }
  // every release names the tender it is about (its id is required once there is a tender object)
  if (f.stage !== "contract" && f.stage !== "payment") release.tender = tender;
  return release;
}

/**
 * A payment's release restated with its payer, for a payment heard before any fact named the buyer
 * (facts of one project arrive in any order, and a payment names only its payee). Same date and
 * transaction id, so the compiled release merges it into the payment rather than adding one; the
 * release id says what it restates.
 */
export function withPayer(payment: Release, buyerName: string): Release {
  const buyer = { id: partyId("buyer", buyerName), name: buyerName };
  const contracts = (payment.contracts as Release[]).map((c) => ({
    ...c,
    implementation: { ...c.implementation, transactions: (c.implementation?.transactions ?? []).map((t: Release) => ({ ...t, payer: buyer })) },
  }));
  return { ...payment, id: `${payment.id}-payer`, parties: [{ ...buyer, roles: ["buyer", "procuringEntity", "payer"] }, ...(payment.parties ?? [])], buyer, contracts };
}

// ── records ─────────────────────────────────────────────────────────────────────────────────

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
const identified = (a: unknown[]) => a.length > 0 && a.every((x) => isObject(x) && (typeof x.id === "string" || typeof x.id === "number"));

/**
 * OCDS's merge (docs "Merging"): objects field by field, arrays of objects with ids item by item by
 * id, other arrays and values replaced by the newer release's, null removes a field.
 */
function mergeInto(target: Record<string, unknown>, src: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(src)) {
    if (v === null) {
      delete target[k];
    } else if (Array.isArray(v) && identified(v) && Array.isArray(target[k]) && identified(target[k] as unknown[])) {
      const items = target[k] as Array<Record<string, unknown>>;
      for (const item of v as Array<Record<string, unknown>>) {
        const same = items.find((x) => x.id === item.id);
        if (same) mergeInto(same, item);
        else items.push(item);
      }
    } else if (isObject(v) && isObject(target[k])) {
      mergeInto(target[k] as Record<string, unknown>, v);
    } else {
      target[k] = v;
    }
  }
}

/** Releases oldest first, as a record lists them. */
export const byDate = (a: Release, b: Release) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The compiled release: the current state of every field, the releases merged oldest first. */
export function compile(releases: Release[]): Release {
  const sorted = [...releases].sort(byDate);
  const out: Record<string, unknown> = {};
  // merged from copies: the compiled release's objects must not be the releases' own, which it changes
  for (const r of sorted) mergeInto(out, JSON.parse(JSON.stringify(r)) as Release);
  out.id = `${sorted[0].ocid}-compiled`;
  out.tag = ["compiled"];
  return out;
}
