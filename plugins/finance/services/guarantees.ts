import { createPrivateKey, createPublicKey, randomBytes, randomUUID, sign, verify } from "node:crypto";
import type { Knex } from "knex";
import {
  oneOfParam, actorOf, compareMoney, conflict, type ErrorDetail, type ExportColumn, exportFormatParam, exportLang, exportList, fieldError, implement, listPage, listParams, type ListOrder,
  type Localized, money, notFound, type PlatformContext, type PlatformServiceSchema, platformNow, PlatformError, type PluginServiceThis, type SearchColumn, toMoney,
  validationFailed, whereContains, writeAudit,
} from "../../../core/sdk";
import { bidSecurity, type BidSecurityStatus } from "../../etrading/api";
import { assertAdmitted, institutionOf, type InstitutionRow, institutionsByCode, KINDS, myInstitution } from "./institutions";
import {
  beforeDeadline, covers, GUARANTEE, idOf, isAmount, wonContract, isInstitution, iso, type ListQueryParams, RULE, securityAmount, supplierOnly, tenderOf, type TenderSeen,
} from "./shared";

/**
 * Electronic guarantees (电子保函): a supplier applies to an admitted institution with the tender
 * prefilled; the institution issues a signed letter with a verification code anyone can check, or
 * declines; e-trading asks at the deadline whether each bidder's security is good; the purchaser
 * claims on a letter, the institution answers. Performance guarantees are the same letter against a
 * contract, within performance.max.
 */

export type Status = "pending" | "issued" | "declined" | "claimed" | "paid" | "claim-refused";

export interface GuaranteeRow {
  id: string;
  purpose: "bid" | "performance";
  tender_id: string | null;
  contract_ref: string | null;
  tenant_code: string;
  title: string;
  beneficiary: string;
  beneficiary_unit: string | null;
  supplier_code: string;
  institution_code: string;
  amount: string;
  valid_until: Date;
  status: Status;
  decline_reason: string | null;
  verification_code: string | null;
  letter: Letter | null;
  signature: string | null;
  claim: Claim | null;
  created_at: Date;
  decided_at: Date | null;
}

interface Letter {
  number: string;
  purpose: "bid" | "performance";
  institution: { code: string; name: string; kind: string };
  applicant: string;
  beneficiary: string;
  title: string;
  tenderId: string | null;
  contractRef: string | null;
  amount: string;
  validUntil: string;
  issuedAt: string;
}

interface Claim {
  reason: "withdrew-after-deadline" | "refused-to-sign";
  statement: string;
  filedBy: string;
  filedAt: string;
  answer?: { pay: boolean; reason: string | null; answeredAt: string };
}

const CLAIM_REASONS: Record<Claim["reason"], Localized> = {
  "withdrew-after-deadline": { "zh-CN": "投标截止后撤回投标文件", en: "withdrew the bid after the deadline" },
  "refused-to-sign": { "zh-CN": "中标后无正当理由拒不签订合同", en: "refused to sign the contract after the award" },
};

/** A bid letter stays valid this long after the deadline: through evaluation, award and signing. */
const BID_VALIDITY_DAYS = 90;

/** The bytes the institution signs: the letter's fields in a fixed order, so anyone can check them again. */
export const letterBytes = (l: Letter) => Buffer.from(JSON.stringify([l.number, l.purpose, l.institution.code, l.applicant, l.beneficiary, l.title, l.tenderId, l.contractRef, l.amount, l.validUntil, l.issuedAt]));

/** A code to type into the public page: 16 characters without look-alikes (I, O, 0, 1). */
function verificationCode(): string {
  const abc = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  return [...randomBytes(16)].map((b) => abc[b % abc.length]).join("").replace(/(.{4})(?!$)/g, "$1-");
}

export function guaranteeView(g: GuaranteeRow, inst?: Pick<InstitutionRow, "name" | "kind">) {
  return {
    id: g.id, purpose: g.purpose, tenderId: g.tender_id, contractRef: g.contract_ref, tenantCode: g.tenant_code, title: g.title, beneficiary: g.beneficiary,
    supplierCode: g.supplier_code, institutionCode: g.institution_code, institutionName: inst?.name ?? null, institutionKind: inst ? KINDS[inst.kind] : null,
    amount: toMoney(g.amount), validUntil: iso(g.valid_until), status: g.status, declineReason: g.decline_reason, verificationCode: g.verification_code,
    letter: g.letter, signature: g.signature, claim: g.claim ? { ...g.claim, reasonTitle: CLAIM_REASONS[g.claim.reason] } : null, createdAt: iso(g.created_at), decidedAt: iso(g.decided_at),
  };
}

/** A guarantee the caller is a party to: its applicant, or the institution it was made to; anyone else is told there is none. */
async function ownGuarantee(db: Knex | Knex.Transaction, ctx: PlatformContext<{ id: string }>, lock = false): Promise<GuaranteeRow> {
  const u = ctx.meta.user!;
  const id = idOf(ctx.params.id);
  const q = db<GuaranteeRow>("finance_guarantees").where({ id: id ?? "" });
  const g = id ? await (lock ? q.forUpdate() : q).first() : undefined;
  const party = g && ((u.roles.includes("supplier") && u.unitCode === g.supplier_code) || (isInstitution(u) && u.unitCode === g.institution_code));
  if (!g || !party) throw notFound(GUARANTEE);
  return g;
}

async function chosenInstitution(db: Knex, code: unknown, tenantCode: string): Promise<InstitutionRow> {
  const inst = typeof code === "string" ? await institutionOf(db, code.trim().toUpperCase()) : undefined;
  if (!inst) throw validationFailed([fieldError("/institutionCode", "exists", "请选择已准入的金融机构", "Choose an admitted institution")]);
  if (!covers(inst.regions, tenantCode)) {
    throw validationFailed([fieldError("/institutionCode", "admitted", "该机构未获准在本项目所在地区开展业务", "That institution is not admitted in this tender's region")]);
  }
  return inst;
}

type This = PluginServiceThis;

const STATUS_TITLES: Record<Status, Localized> = {
  pending: { "zh-CN": "待审核", en: "Pending" },
  issued: { "zh-CN": "已出具", en: "Issued" },
  declined: { "zh-CN": "已拒绝", en: "Declined" },
  claimed: { "zh-CN": "已索赔", en: "Claimed" },
  paid: { "zh-CN": "已赔付", en: "Paid" },
  "claim-refused": { "zh-CN": "索赔被拒", en: "Claim refused" },
};
const PURPOSE_TITLES: Record<GuaranteeRow["purpose"], Localized> = {
  bid: { "zh-CN": "投标保函", en: "Bid guarantee" },
  performance: { "zh-CN": "履约保函", en: "Performance guarantee" },
};

/** Newest first (finance_guarantees_recent; a supplier's own by finance_guarantees_supplier_recent). */
const GUARANTEE_ORDER: ListOrder = { name: "finance.guarantees", keys: [{ column: "created_at", kind: "timestamp" }, { column: "id", kind: "uuid" }], direction: "desc" };
/** `q`: the tender's or contract's title and the beneficiary, normalised (migration 20261208100000_list_search). */
const GUARANTEE_SEARCH: SearchColumn = { column: "search", bigrams: "finance_bigrams(search)", trigram: true };

type GuaranteeParams = ListQueryParams & { status?: unknown; purpose?: unknown };

/**
 * A supplier's own applications and letters, or an institution's inbox, filtered as the query
 * string says: the list and its export read the same rows. 400 naming every bad parameter.
 */
async function filteredGuarantees(db: Knex, ctx: PlatformContext<GuaranteeParams>, problems: ErrorDetail[] = []) {
  const u = ctx.meta.user!;
  const status = oneOfParam("status", ctx.params.status, Object.keys(STATUS_TITLES) as Status[], problems);
  const purpose = oneOfParam("purpose", ctx.params.purpose, Object.keys(PURPOSE_TITLES) as GuaranteeRow["purpose"][], problems);
  const req = listParams(ctx.params, GUARANTEE_ORDER, { pageSize: 50, maxPageSize: 200 }, problems);
  const q = db<GuaranteeRow>("finance_guarantees");
  if (isInstitution(u)) q.where({ institution_code: (await myInstitution(db, ctx)).code });
  else q.where({ supplier_code: supplierOnly(u) });
  if (status) q.where({ status });
  if (purpose) q.where({ purpose });
  whereContains(q, GUARANTEE_SEARCH, req.terms);
  return { query: q, req };
}

type GuaranteeView = ReturnType<typeof guaranteeView>;

/** The export's columns: what the guarantees pages show; never the letter's signature. */
function exportColumns(lang: "zh-CN" | "en"): ExportColumn<GuaranteeView>[] {
  return [
    { title: { "zh-CN": "申请时间", en: "Applied" }, value: (g) => g.createdAt, width: 26 },
    { title: { "zh-CN": "类型", en: "Purpose" }, value: (g) => PURPOSE_TITLES[g.purpose][lang], width: 12 },
    { title: { "zh-CN": "项目（合同）", en: "Tender (contract)" }, value: (g) => g.title, width: 36 },
    { title: { "zh-CN": "受益人", en: "Beneficiary" }, value: (g) => g.beneficiary, width: 28 },
    { title: { "zh-CN": "申请人", en: "Applicant" }, value: (g) => g.supplierCode, width: 22 },
    { title: { "zh-CN": "金融机构", en: "Institution" }, value: (g) => g.institutionName ?? g.institutionCode, width: 24 },
    { title: { "zh-CN": "金额（元）", en: "Amount (CNY)" }, value: (g) => g.amount, width: 16 },
    { title: { "zh-CN": "有效期至", en: "Valid until" }, value: (g) => g.validUntil, width: 26 },
    { title: { "zh-CN": "状态", en: "Status" }, value: (g) => STATUS_TITLES[g.status][lang], width: 10 },
    { title: { "zh-CN": "验证码", en: "Verification code" }, value: (g) => g.verificationCode, width: 22 },
    { title: { "zh-CN": "拒绝理由", en: "Reason declined" }, value: (g) => g.declineReason, width: 28 },
  ];
}

async function insertApplication(svc: This, ctx: PlatformContext, row: Omit<GuaranteeRow, "status" | "decline_reason" | "verification_code" | "letter" | "signature" | "claim" | "decided_at">, inst: InstitutionRow) {
  return svc.db.transaction(async (trx) => {
    // one live application per security: a second while one is pending or issued would double the cover
    const open = await trx("finance_guarantees").where({ purpose: row.purpose, supplier_code: row.supplier_code }).where(row.tender_id ? { tender_id: row.tender_id } : { contract_ref: row.contract_ref }).whereIn("status", ["pending", "issued"]).first();
    if (open) throw conflict({ "zh-CN": "已有待审或已出具的保函", en: "A guarantee is already pending or issued for it" }, { id: open.id });
    await trx("finance_guarantees").insert({ ...row, status: "pending" });
    await writeAudit(trx, { actor: actorOf(ctx.meta.user!), tenantCode: row.tenant_code, action: "finance.guarantee.apply", object: row.id, after: { purpose: row.purpose, tender: row.tender_id, contract: row.contract_ref, institution: row.institution_code, amount: row.amount } });
    ctx.meta.$statusCode = 201;
    return guaranteeView({ ...row, status: "pending", decline_reason: null, verification_code: null, letter: null, signature: null, claim: null, decided_at: null }, inst);
  });
}

export const guaranteesService: PlatformServiceSchema = {
  name: "finance.guarantees",
  actions: {
    /**
     * POST /api/finance/guarantees { tenderId, institutionCode, amount? }: a supplier that obtained the
     * documents applies for a bid guarantee; the tender's title, purchaser, amount and deadline come from e-trading.
     */
    apply: {
      kind: "create",
      permission: "authenticated",
      rest: "POST /guarantees",
      params: { tenderId: { type: "any", optional: true }, institutionCode: { type: "any", optional: true }, amount: { type: "any", optional: true } },
      async handler(this: This, ctx: PlatformContext<{ tenderId?: unknown; institutionCode?: unknown; amount?: unknown }>) {
        const supplier = supplierOnly(ctx.meta.user!);
        const t: TenderSeen = await tenderOf(ctx, ctx.params.tenderId);
        const now = platformNow();
        const amount = securityAmount(t, ctx.params.amount, GUARANTEE);
        if (!t.registered) throw conflict({ "zh-CN": "请先获取采购文件", en: "Obtain the documents first" }, { rule: "registered" });
        beforeDeadline(t, now);
        const inst = await chosenInstitution(this.db, ctx.params.institutionCode, t.tenantCode);
        const validUntil = new Date(new Date(t.bidDeadline).getTime() + BID_VALIDITY_DAYS * 86_400_000);
        return insertApplication(this, ctx, {
          id: randomUUID(), purpose: "bid", tender_id: t.id, contract_ref: null, tenant_code: t.tenantCode, title: t.title, beneficiary: t.purchaserName, beneficiary_unit: null,
          supplier_code: supplier, institution_code: inst.code, amount, valid_until: validUntil, created_at: now,
        }, inst);
      },
    },

    /**
     * POST /api/finance/guarantees/performance { projectId, institutionCode, amount, validUntil }: a performance
     * guarantee for the supplier's filed contract (read from supervision), at most performance.max of its amount.
     */
    applyPerformance: {
      kind: "create",
      permission: "authenticated",
      rest: "POST /guarantees/performance",
      params: { projectId: { type: "any", optional: true }, institutionCode: { type: "any", optional: true }, amount: { type: "any", optional: true }, validUntil: { type: "any", optional: true } },
      async handler(this: This, ctx: PlatformContext<{ projectId?: unknown; institutionCode?: unknown; amount?: unknown; validUntil?: unknown }>) {
        const supplier = supplierOnly(ctx.meta.user!);
        const p = ctx.params;
        const problems = [];
        if (!isAmount(p.amount)) problems.push(fieldError("/amount", "money", "保函金额应为元，至多两位小数", "The amount is yuan with at most two decimals"));
        const until = typeof p.validUntil === "string" ? new Date(p.validUntil) : null;
        if (!until || Number.isNaN(until.getTime()) || until <= platformNow()) problems.push(fieldError("/validUntil", "future", "有效期应晚于今天", "Valid until a later day"));
        if (problems.length) throw validationFailed(problems);
        const project = await wonContract(ctx, p.projectId, supplier, "performance.max");
        const cap = toMoney(money(project.contractAmount).times(RULE["performance.max"].value).dividedBy(100).toDecimalPlaces(2, 1));
        if (compareMoney(p.amount as string, cap) > 0) {
          throw validationFailed([fieldError("/amount", "performance.max", `履约保证金不得超过合同金额的 ${RULE["performance.max"].value}%（${cap} 元）`, `A performance guarantee may not exceed ${RULE["performance.max"].value}% of the contract (${cap} yuan)`)]);
        }
        const inst = await chosenInstitution(this.db, p.institutionCode, project.tenantCode);
        return insertApplication(this, ctx, {
          id: randomUUID(), purpose: "performance", tender_id: null, contract_ref: project.id, tenant_code: project.tenantCode, title: project.name,
          beneficiary: project.unitName, beneficiary_unit: null, supplier_code: supplier, institution_code: inst.code, amount: toMoney(p.amount as string), valid_until: until!, created_at: platformNow(),
        }, inst);
      },
    },

    /** GET /api/finance/guarantees?status=&purpose=&q=&page=&pageSize=&cursor=: a supplier's own applications and letters; an institution's inbox. Newest first. */
    list: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /guarantees",
      async handler(this: This, ctx: PlatformContext<GuaranteeParams>) {
        const { query, req } = await filteredGuarantees(this.db, ctx);
        const { rows, nextCursor, total, totalIsEstimate } = await listPage<GuaranteeRow>(this.db, query, GUARANTEE_ORDER, req);
        const insts = await institutionsByCode(this.db, rows.map((r) => r.institution_code));
        return { items: rows.map((g) => guaranteeView(g, insts.get(g.institution_code))), total, totalIsEstimate, page: req.page, pageSize: req.pageSize, nextCursor };
      },
    },

    // before `get`, whose /guarantees/:id would take "export" for an id
    /** GET /api/finance/guarantees/export?format=csv|xlsx&lang=: the same guarantees with the same filters, as a file. */
    export: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /guarantees/export",
      async handler(this: This, ctx: PlatformContext<GuaranteeParams>) {
        const problems: ErrorDetail[] = [];
        const format = exportFormatParam(ctx.params.format, problems);
        const { query } = await filteredGuarantees(this.db, ctx, problems);
        const lang = exportLang(ctx.params.lang);
        const insts = await institutionsByCode(this.db);
        return exportList<GuaranteeRow>(ctx, {
          db: this.db,
          query,
          order: GUARANTEE_ORDER,
          columns: exportColumns(lang).map((c) => ({ ...c, value: (row: GuaranteeRow) => c.value(guaranteeView(row, insts.get(row.institution_code))) })),
          format,
          lang,
          filename: lang === "en" ? "guarantees" : "电子保函",
          sheet: { "zh-CN": "电子保函", en: "Guarantees" },
        });
      },
    },

    /** GET /api/finance/guarantees/:id: for its applicant and its institution. */
    get: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /guarantees/:id",
      params: { id: "string" },
      async handler(this: This, ctx: PlatformContext<{ id: string }>) {
        const g = await ownGuarantee(this.db, ctx);
        return guaranteeView(g, await institutionOf(this.db, g.institution_code));
      },
    },

    /**
     * POST /api/finance/guarantees/:id/decision { approve, reason? }: the institution issues the letter
     * (signed with its key, a verification code for the public page) or declines with its reason.
     */
    decide: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /guarantees/:id/decision",
      params: { id: "string", approve: { type: "any", optional: true }, reason: { type: "any", optional: true } },
      async handler(this: This, ctx: PlatformContext<{ id: string; approve?: unknown; reason?: unknown }>) {
        const u = ctx.meta.user!;
        const inst = await myInstitution(this.db, ctx);
        if (typeof ctx.params.approve !== "boolean") throw validationFailed([fieldError("/approve", "type", "请选择出具或拒绝", "Choose to issue or decline")]);
        const reason = typeof ctx.params.reason === "string" ? ctx.params.reason.trim().slice(0, 500) : "";
        if (!ctx.params.approve && !reason) throw validationFailed([fieldError("/reason", "required", "拒绝时请说明理由", "Give the reason for declining")]);
        const now = platformNow();
        return this.db.transaction(async (trx) => {
          const g = await ownGuarantee(trx, ctx, true);
          assertAdmitted(inst, g.tenant_code);
          if (g.status !== "pending") throw conflict({ "zh-CN": "该申请已处理", en: "This application is decided already" }, { status: g.status });
          let patch: Partial<GuaranteeRow>;
          if (ctx.params.approve) {
            const letter: Letter = {
              number: `${inst.code.slice(-6)}-${now.getUTCFullYear()}-${g.id.slice(0, 8).toUpperCase()}`, purpose: g.purpose, institution: { code: inst.code, name: inst.name, kind: inst.kind },
              applicant: g.supplier_code, beneficiary: g.beneficiary, title: g.title, tenderId: g.tender_id, contractRef: g.contract_ref, amount: toMoney(g.amount), validUntil: new Date(g.valid_until).toISOString(), issuedAt: now.toISOString(),
            };
            const signature = sign(null, letterBytes(letter), createPrivateKey(inst.private_key)).toString("base64");
            patch = { status: "issued", letter, signature, verification_code: verificationCode(), decided_at: now };
          } else {
            patch = { status: "declined", decline_reason: reason, decided_at: now };
          }
          await trx("finance_guarantees").where({ id: g.id }).update({ ...patch, letter: patch.letter ? JSON.stringify(patch.letter) : null } as never);
          await writeAudit(trx, { actor: actorOf(u), tenantCode: g.tenant_code, action: ctx.params.approve ? "finance.guarantee.issue" : "finance.guarantee.decline", object: g.id, after: { status: patch.status, reason: reason || null, number: patch.letter?.number ?? null } });
          return guaranteeView({ ...g, ...patch } as GuaranteeRow, inst);
        });
      },
    },

    /**
     * POST /api/finance/guarantees/:id/claim { reason, statement }: the purchaser of the tender claims on an
     * issued bid letter (the bidder withdrew after the deadline, refused to sign).
     */
    claim: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /guarantees/:id/claim",
      params: { id: "string", reason: { type: "any", optional: true }, statement: { type: "any", optional: true } },
      async handler(this: This, ctx: PlatformContext<{ id: string; reason?: unknown; statement?: unknown }>) {
        const u = ctx.meta.user!;
        if (!u.roles.includes("purchaser") || !u.unitCode) throw new PlatformError("FORBIDDEN", { "zh-CN": "索赔由采购人提出", en: "A claim is filed by the purchaser" });
        const id = idOf(ctx.params.id);
        const g0 = id ? await this.db<GuaranteeRow>("finance_guarantees").where({ id }).first() : undefined;
        if (!g0 || g0.purpose !== "bid" || !g0.tender_id) throw notFound(GUARANTEE);
        // the purchaser is the one e-trading says runs the tender; anyone else is told there is no such letter
        const t = await tenderOf(ctx, g0.tender_id).catch(() => null);
        if (!t?.mine) throw notFound(GUARANTEE);
        const reason = ctx.params.reason as Claim["reason"];
        const problems = [];
        if (typeof reason !== "string" || !(reason in CLAIM_REASONS)) problems.push(fieldError("/reason", "enum", "索赔事由应为截止后撤回投标或拒不签订合同", "The reason is a withdrawal after the deadline or a refusal to sign"));
        if (typeof ctx.params.statement !== "string" || !ctx.params.statement.trim()) problems.push(fieldError("/statement", "required", "请陈述索赔事实", "State the facts of the claim"));
        if (problems.length) throw validationFailed(problems);
        const now = platformNow();
        if (reason === "withdrew-after-deadline" && now < new Date(t.bidDeadline)) {
          throw conflict({ "zh-CN": "投标截止前撤回投标不构成索赔事由", en: "A withdrawal before the deadline is no ground for a claim" }, { rule: "deposit.refund.onWithdrawal" });
        }
        return this.db.transaction(async (trx) => {
          const g = await trx<GuaranteeRow>("finance_guarantees").where({ id: g0.id }).forUpdate().first();
          if (g!.status !== "issued") throw conflict({ "zh-CN": "仅可对已出具且未索赔的保函索赔", en: "Only an issued letter not yet claimed on can be claimed on" }, { status: g!.status });
          if (now > new Date(g!.valid_until)) throw conflict({ "zh-CN": "保函已过有效期", en: "The letter has expired" }, { validUntil: iso(g!.valid_until) });
          const claim: Claim = { reason, statement: (ctx.params.statement as string).trim().slice(0, 2000), filedBy: u.unitCode!, filedAt: now.toISOString() };
          await trx("finance_guarantees").where({ id: g!.id }).update({ status: "claimed", claim: JSON.stringify(claim), beneficiary_unit: u.unitCode });
          await writeAudit(trx, { actor: actorOf(u), tenantCode: g!.tenant_code, action: "finance.guarantee.claim", object: g!.id, after: { reason } });
          return guaranteeView({ ...g!, status: "claimed", claim }, await institutionOf(trx as unknown as Knex, g!.institution_code));
        });
      },
    },

    /** POST /api/finance/guarantees/:id/claim/answer { pay, reason? }: the institution pays the claim or refuses it with its reason. */
    answerClaim: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /guarantees/:id/claim/answer",
      params: { id: "string", pay: { type: "any", optional: true }, reason: { type: "any", optional: true } },
      async handler(this: This, ctx: PlatformContext<{ id: string; pay?: unknown; reason?: unknown }>) {
        const inst = await myInstitution(this.db, ctx);
        if (typeof ctx.params.pay !== "boolean") throw validationFailed([fieldError("/pay", "type", "请选择赔付或拒赔", "Choose to pay or refuse")]);
        const reason = typeof ctx.params.reason === "string" ? ctx.params.reason.trim().slice(0, 500) : "";
        if (!ctx.params.pay && !reason) throw validationFailed([fieldError("/reason", "required", "拒赔时请说明理由", "Give the reason for refusing")]);
        return this.db.transaction(async (trx) => {
          const g = await ownGuarantee(trx, ctx, true);
          assertAdmitted(inst, g.tenant_code);
          if (g.status !== "claimed") throw conflict({ "zh-CN": "该保函没有待答复的索赔", en: "This letter has no claim to answer" }, { status: g.status });
          const claim: Claim = { ...g.claim!, answer: { pay: ctx.params.pay as boolean, reason: reason || null, answeredAt: platformNow().toISOString() } };
          const status: Status = ctx.params.pay ? "paid" : "claim-refused";
          await trx("finance_guarantees").where({ id: g.id }).update({ status, claim: JSON.stringify(claim) });
          await writeAudit(trx, { actor: actorOf(ctx.meta.user!), tenantCode: g.tenant_code, action: "finance.guarantee.claim-answer", object: g.id, after: { status } });
          return guaranteeView({ ...g, status, claim }, inst);
        });
      },
    },

    /** GET /api/finance/verify/:code: anyone checks a letter by its code: what it says, who signed it, whether the signature holds. */
    verify: {
      kind: "read",
      permission: "public",
      rest: "GET /verify/:code",
      params: { code: "string" },
      async handler(this: This, ctx: PlatformContext<{ code: string }>) {
        const code = ctx.params.code.trim().toUpperCase();
        const g = /^[A-Z0-9-]{4,24}$/.test(code) ? await this.db<GuaranteeRow>("finance_guarantees").where({ verification_code: code }).first() : undefined;
        if (!g || !g.letter || !g.signature) throw notFound({ "zh-CN": "保函（验证码不符）", en: "guarantee (no letter has that code)" });
        const inst = (await institutionOf(this.db, g.institution_code))!;
        const signatureValid = verify(null, letterBytes(g.letter), createPublicKey(inst.public_key), Buffer.from(g.signature, "base64"));
        const expired = platformNow() > new Date(g.valid_until);
        return {
          verificationCode: code, letter: g.letter, signature: g.signature, signatureAlgorithm: "Ed25519", publicKey: inst.public_key, signatureValid,
          status: g.status, expired, valid: signatureValid && !expired && g.status === "issued",
          institution: { code: inst.code, name: inst.name, kind: KINDS[inst.kind] },
        };
      },
    },

    /**
     * The bid-security provider e-trading asks at the deadline (etrading.bid-security): a bidder this plugin
     * knows nothing of is left to the next provider; one with an application or deposit here is judged by it.
     */
    status: implement(bidSecurity, "status", {
      kind: "read",
      permission: "authenticated",
      async handler(ctx): Promise<BidSecurityStatus> {
        const { tenderId, supplierCode, required } = ctx.params;
        const at = platformNow();
        const letters: GuaranteeRow[] = await this.db("finance_guarantees").where({ tender_id: tenderId, supplier_code: supplierCode, purpose: "bid" }).orderBy("created_at", "desc");
        const deposit = await this.db("finance_deposits").where({ tender_id: tenderId, supplier_code: supplierCode }).first();
        if (!letters.length && !deposit) return { handled: false };
        const enough = (amount: string) => !required?.amount || compareMoney(amount, required.amount) >= 0;
        const good = letters.find((g) => g.status === "issued" && new Date(g.valid_until) >= at && enough(g.amount));
        if (good) return { handled: true, kind: "guarantee", status: "received", amount: toMoney(good.amount), reference: good.letter?.number ?? null };
        if (deposit?.status === "confirmed" && enough(deposit.amount)) return { handled: true, kind: "deposit", status: "received", amount: toMoney(deposit.amount), reference: deposit.reference };
        const last = letters[0];
        const why: Localized = last
          ? last.status === "pending" ? { "zh-CN": "电子保函申请在投标截止时尚未出具", en: "The e-guarantee was not issued by the deadline" }
            : last.status === "declined" ? { "zh-CN": `电子保函被金融机构拒绝：${last.decline_reason ?? ""}`, en: `The institution declined the e-guarantee: ${last.decline_reason ?? ""}` }
              : !enough(last.amount) ? { "zh-CN": "电子保函金额低于采购文件要求", en: "The e-guarantee is below the amount the documents ask" }
                : { "zh-CN": "电子保函已失效", en: "The e-guarantee is no longer valid" }
          : { "zh-CN": "保证金在投标截止时尚未经代理机构确认到账", en: "The deposit was not confirmed received by the deadline" };
        return { handled: true, kind: last ? "guarantee" : "deposit", status: "invalid", amount: toMoney(last?.amount ?? deposit.amount), reference: last?.letter?.number ?? deposit?.reference ?? null, reason: why };
      },
    }),
  },
};
