import { subject } from "@casl/ability";
import type { Knex } from "knex";
import type { Context, Service } from "moleculer";
import {
  abilityOf, actorOf, conflict, fieldError, forbidden, isUnifiedSocialCreditCode, isUuid, type Localized, notFound, type PlatformContext,
  type PlatformServiceSchema, platformNow, type PluginServiceThis, type SessionUser, validationFailed, writeAudit,
} from "../../../core/sdk";
import { bidSecurity, type BidSecurityStatus, eligibility, type EligibilityBidder, type EligibilityOutcome, type ListVersionUsed } from "../api";

/**
 * Credit screening at the cutoff the documents declare (credit.cutoffDeclared): every bidder, each
 * consortium member with it (credit.consortium), checked by the eligibility provider (plugins/credit)
 * against the lists as they stood at the cutoff; the result is kept as the tender's snapshot, which
 * the committee, the purchaser, the agency and the regulator read, and which excludes the listed
 * bidders with the reason (credit.blacklists). Suppliers upload nothing for it (credit.noSupplierUpload).
 *
 * It runs when both the cutoff and the bid deadline have passed (the bidders are known only then):
 * on the deadline's `etrading.tender.closed` event, on a sweep for a cutoff later than the deadline,
 * or when the purchaser or agency asks (POST .../screening). One snapshot per tender, never rewritten.
 */

const TENDER: Localized = { "zh-CN": "采购项目", en: "procurement" };
/** How often the sweep looks for tenders whose cutoff has passed unscreened (a cutoff later than the deadline, a missed event); SCREENING_SWEEP_MS, read when the service starts. */
const sweepMs = (): number => Number(process.env.SCREENING_SWEEP_MS ?? 30_000);
/** A consortium has a handful of members; more is a mistake, not a consortium. */
const MAX_MEMBERS = 10;

interface Tender {
  id: string;
  instance_id: string;
  tenant_code: string;
  unit: string;
  agency_code: string | null;
  status: string;
  bid_deadline: Date;
  documents: Record<string, unknown>;
}

interface Snapshot {
  tender_id: string;
  cutoff: Date;
  cutoff_declared: boolean;
  status: "screened" | "no-provider";
  provider: string | null;
  lists: ListVersionUsed[];
  bidders: Array<EligibilityOutcome & { name: string | null; members: Array<{ code: string; name?: string | null }>; security?: BidSecurityStatus & { provider: string } }>;
  screened_at: Date;
}

type This = Service & PluginServiceThis & { sweepTimer?: NodeJS.Timeout; sweeping?: Promise<void>; stopping?: boolean };

const runs = (u: SessionUser, t: Tender) => !!u.unitCode && ((u.roles.includes("purchaser") && u.unitCode === t.unit) || (u.roles.includes("agency") && u.unitCode === t.agency_code));
const regulates = (ctx: PlatformContext, t: Tender) => abilityOf(ctx).can("read", subject("EtradingTender", { tenantCode: t.tenant_code }));
/** The evaluation committee's members read the snapshot; they are experts drawn for the tender (the experts plugin, later), checked there. */
const onCommittee = (u: SessionUser) => u.roles.includes("expert");

/** The cutoff the documents declare, or the deadline when they declare none (the snapshot says which). */
function cutoffOf(t: Tender): { cutoff: Date; declared: boolean } {
  const declared = typeof t.documents?.creditQueryCutoff === "string" ? new Date(t.documents.creditQueryCutoff as string) : null;
  if (declared && !Number.isNaN(declared.getTime())) return { cutoff: declared, declared: true };
  return { cutoff: new Date(t.bid_deadline), declared: false };
}

async function tenderOf(db: Knex, id: string): Promise<Tender> {
  const row = isUuid(id) ? await db<Tender>("etrading_tenders").where({ id }).first() : undefined;
  if (!row || row.status === "draft") throw notFound(TENDER);
  return row;
}

/** The counted bidders: each supplier whose last version is a submission, with its name and consortium. */
async function biddersOf(db: Knex, tenderId: string): Promise<EligibilityBidder[]> {
  const rows: Array<{ supplier_code: string; action: string; supplier_name: string | null; members: EligibilityBidder["members"] | null }> = await db
    .from(db("etrading_bids").where({ tender_id: tenderId }).distinctOn("supplier_code").orderBy([{ column: "supplier_code" }, { column: "version", order: "desc" }]).select("supplier_code", "action").as("b"))
    .leftJoin("etrading_registrations as r", function () { this.on("r.supplier_code", "b.supplier_code").andOnVal("r.tender_id", tenderId); })
    .leftJoin("etrading_consortia as c", function () { this.on("c.supplier_code", "b.supplier_code").andOnVal("c.tender_id", tenderId); })
    .where("b.action", "submitted")
    .orderBy("b.supplier_code")
    .select("b.supplier_code", "b.action", "r.supplier_name", "c.members");
  return rows.map((r) => ({ code: r.supplier_code, name: r.supplier_name, members: r.members ?? [] }));
}

/** Who runs the screening when no person does (the deadline's event, the sweep): the platform, in the tender's tenant. */
const platformCaller = (t: Tender): SessionUser => ({ id: "etrading.screening", username: "etrading.screening", tenantCode: t.tenant_code, roles: [] });

/**
 * Screens the tender once its cutoff and deadline have passed; answers the snapshot (the first one,
 * if it was screened already). `null` when it is not due yet.
 */
async function screen(svc: This, ctx: Context, t: Tender, now: Date): Promise<Snapshot | null> {
  const existing = await svc.db<Snapshot>("etrading_screenings").where({ tender_id: t.id }).first();
  if (existing) return existing;
  const { cutoff, declared } = cutoffOf(t);
  if (now < cutoff || now < new Date(t.bid_deadline) || ["draft", "published", "cancelled"].includes(t.status)) return null;
  const bidders = await biddersOf(svc.db, t.id);
  const actor = (ctx.meta as { user?: SessionUser | null }).user ?? platformCaller(t);
  // the providers the tender's tenant has switched on, called as the platform there (whoever asked for the screening)
  const asPlatform = svc.broker.ContextFactory.create(svc.broker, null as never, {}, { meta: { user: platformCaller(t) }, parentCtx: ctx }) as Context;
  const providers = svc.extensions.providers(asPlatform, eligibility);
  const byCode = new Map<string, EligibilityOutcome>(bidders.map((b) => [b.code, { code: b.code, eligible: true, reasons: [], flags: [] }]));
  const lists: ListVersionUsed[] = [];
  for (const p of providers) {
    const answer = await p.call.check({ tenderId: t.id, tenantCode: t.tenant_code, cutoff: cutoff.toISOString(), bidders, committee: [t.unit, t.agency_code].filter((c): c is string => !!c) });
    lists.push(...answer.lists);
    for (const o of answer.bidders) {
      const mine = byCode.get(o.code);
      if (!mine) continue;
      mine.eligible &&= o.eligible;
      mine.reasons.push(...o.reasons);
      mine.flags.push(...o.flags);
    }
  }
  const security = await securityAtDeadline(svc, asPlatform, t, bidders, byCode);
  const row = {
    tender_id: t.id, cutoff, cutoff_declared: declared, status: providers.length ? "screened" : "no-provider", provider: providers.map((p) => p.plugin).join(",") || null,
    lists: JSON.stringify(lists), bidders: JSON.stringify(bidders.map((b) => ({ ...byCode.get(b.code)!, name: b.name ?? null, members: b.members ?? [], ...(security.has(b.code) ? { security: security.get(b.code) } : {}) }))), screened_at: now,
  };
  await svc.db.transaction(async (trx) => {
    const made = await trx("etrading_screenings").insert(row).onConflict("tender_id").ignore().returning("tender_id");
    if (!made.length) return;
    const excluded = bidders.filter((b) => !byCode.get(b.code)!.eligible).map((b) => b.code);
    await writeAudit(trx, { actor: actorOf(actor), tenantCode: t.tenant_code, action: "etrading.screening.create", object: t.id, after: { cutoff: cutoff.toISOString(), status: row.status, lists, excluded } });
  });
  return (await svc.db<Snapshot>("etrading_screenings").where({ tender_id: t.id }).first())!;
}

/**
 * The bid security at the deadline (deposit.nonCashAndGuarantee: it is due by then), asked of each
 * provider in turn for each bidder; a security its provider calls missing or invalid excludes the bidder
 * with the provider's reason. E-trading's own plain record is left out: the host fills it in at the
 * opening, after the deadline, so it cannot answer now. With no other provider nothing is asked.
 */
async function securityAtDeadline(svc: This, ctx: Context, t: Tender, bidders: EligibilityBidder[], byCode: Map<string, EligibilityOutcome>) {
  const found = new Map<string, BidSecurityStatus & { provider: string }>();
  const required = (t.documents?.deposit as { kind?: string; amount?: string } | undefined) ?? null;
  if (!required?.kind || required.kind === "none") return found;
  const providers = svc.extensions.providers(ctx, bidSecurity).filter((p) => p.plugin !== "etrading");
  for (const b of bidders) {
    for (const p of providers) {
      const r = await p.call.status({ tenantCode: t.tenant_code, tenderId: t.id, supplierCode: b.code, required });
      if (!r.handled) continue;
      found.set(b.code, { ...r, provider: p.plugin });
      if (r.status !== "received") {
        const o = byCode.get(b.code)!;
        o.eligible = false;
        o.reasons.push({
          rule: "deposit.nonCashAndGuarantee", party: b.code, source: p.plugin, version: null,
          message: r.reason ?? { "zh-CN": "投标截止时投标保证金（保函）无效", en: "The bid security was not valid at the deadline" },
          detail: { kind: r.kind, status: r.status, amount: r.amount ?? null, reference: r.reference ?? null },
        });
      }
      break;
    }
  }
  return found;
}

function view(s: Snapshot, only?: string) {
  return {
    tenderId: s.tender_id,
    cutoff: new Date(s.cutoff).toISOString(),
    cutoffDeclared: s.cutoff_declared,
    status: s.status,
    provider: s.provider,
    screenedAt: new Date(s.screened_at).toISOString(),
    lists: s.lists,
    bidders: only ? s.bidders.filter((b) => b.code === only) : s.bidders,
    rules: { cutoff: "credit.cutoffDeclared", lists: "credit.blacklists", consortium: "credit.consortium", evidence: "credit.noSupplierUpload", related: "supplier.relatedParties" },
    ...(s.status === "no-provider"
      ? { note: { "zh-CN": "未安装信用筛查提供方（诚信管理系统），投标人未经信用筛查", en: "No eligibility provider (credit management) is installed: the bidders were not screened" } }
      : {}),
  };
}

async function sweep(svc: This): Promise<void> {
  const now = platformNow();
  const due: Tender[] = await svc.db<Tender>("etrading_tenders")
    .whereNotIn("status", ["draft", "published", "cancelled"])
    .where("bid_deadline", "<=", now)
    .whereNotExists(function () { this.select(svc.db.raw("1")).from("etrading_screenings as s").whereRaw("s.tender_id = etrading_tenders.id"); })
    .limit(100);
  for (const t of due) {
    if (svc.stopping) return;
    await screen(svc, svc.broker.ContextFactory.create(svc.broker, null as never, {}, {}) as Context, t, now).catch((err) => svc.logger.warn(`screening of ${t.id} not done yet: ${(err as Error).message}`));
  }
}

export const screeningService: PlatformServiceSchema = {
  name: "etrading.screening",
  events: {
    /** The deadline has fired (the workflow's open transition): screen now if the cutoff has passed too. */
    async "etrading.tender.closed"(this: This, ctx: Context<{ data?: { instanceId?: string } }>) {
      // an outbox event: the workflow's payload is its data
      const instanceId = ctx.params?.data?.instanceId;
      const t = typeof instanceId === "string" ? await this.db<Tender>("etrading_tenders").where({ instance_id: instanceId }).first() : undefined;
      if (!t) return;
      await screen(this, ctx, t, platformNow());
    },
  },
  started(this: This) {
    const loop = () => {
      this.sweepTimer = setTimeout(() => {
        this.sweeping = sweep(this).catch((err) => this.logger.warn(`screening sweep: ${(err as Error).message}`)).finally(() => {
          if (!this.stopping) loop();
        });
      }, sweepMs());
      this.sweepTimer.unref();
    };
    loop();
  },
  async stopped(this: This) {
    this.stopping = true;
    clearTimeout(this.sweepTimer);
    await this.sweeping;
  },
  actions: {
    /**
     * GET /api/etrading/tenders/:id/screening: the snapshot, for the purchaser, the agency, the
     * regulator and the committee; a bidder reads its own line only.
     */
    get: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /tenders/:id/screening",
      params: { id: "string" },
      async handler(this: This, ctx: PlatformContext<{ id: string }>) {
        const user = ctx.meta.user!;
        const t = await tenderOf(this.db, ctx.params.id);
        const whole = runs(user, t) || regulates(ctx, t) || onCommittee(user);
        const ownLine = !whole && user.roles.includes("supplier") && !!user.unitCode;
        if (!whole && !ownLine) throw forbidden();
        const s = await this.db<Snapshot>("etrading_screenings").where({ tender_id: t.id }).first();
        const { cutoff, declared } = cutoffOf(t);
        if (!s) return { tenderId: t.id, status: "pending", cutoff: cutoff.toISOString(), cutoffDeclared: declared, bidDeadline: new Date(t.bid_deadline).toISOString(), bidders: [], lists: [] };
        return view(s, ownLine ? user.unitCode : undefined);
      },
    },

    /** POST /api/etrading/tenders/:id/screening: the purchaser or agency has it run now, once its cutoff and deadline have passed. */
    run: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /tenders/:id/screening",
      params: { id: "string" },
      async handler(this: This, ctx: PlatformContext<{ id: string }>) {
        const t = await tenderOf(this.db, ctx.params.id);
        if (!runs(ctx.meta.user!, t) && !regulates(ctx, t)) throw forbidden();
        const now = platformNow();
        const s = await screen(this, ctx as unknown as Context, t, now);
        if (!s) {
          const { cutoff } = cutoffOf(t);
          const at = new Date(Math.max(cutoff.getTime(), new Date(t.bid_deadline).getTime())).toISOString();
          throw conflict({ "zh-CN": `信用查询截止时点和投标截止时间（${at}）之后才能筛查`, en: `Screening runs once the credit-query cutoff and the deadline (${at}) have passed` }, { rule: "credit.cutoffDeclared", at });
        }
        return view(s);
      },
    },

    /**
     * PUT /api/etrading/tenders/:id/consortium `{ members: [{ code, name }] }`: a supplier bidding
     * as a consortium names its other members before the deadline. Codes only: the platform checks
     * their credit itself and takes no report from the supplier (credit.noSupplierUpload).
     */
    consortium: {
      kind: "continue",
      permission: "authenticated",
      rest: "PUT /tenders/:id/consortium",
      params: { id: "string", members: { type: "any", optional: true } },
      async handler(this: This, ctx: PlatformContext<{ id: string; members?: unknown }>) {
        const user = ctx.meta.user!;
        if (!user.roles.includes("supplier") || !user.unitCode) throw forbidden();
        const t = await tenderOf(this.db, ctx.params.id);
        const reg = await this.db("etrading_registrations").where({ tender_id: t.id, supplier_code: user.unitCode }).first();
        if (!reg?.registered_at) throw conflict({ "zh-CN": "请先获取采购文件", en: "Obtain the documents first" }, { rule: "registered" });
        const now = platformNow();
        if (now >= new Date(t.bid_deadline)) throw conflict({ "zh-CN": "投标截止后不能变更联合体", en: "The consortium cannot change after the deadline" }, { rule: "deadline" });
        const members = parseMembers(ctx.params.members, user.unitCode);
        await this.db.transaction(async (trx) => {
          await trx("etrading_consortia").insert({ tender_id: t.id, supplier_code: user.unitCode, members: JSON.stringify(members), declared_at: now }).onConflict(["tender_id", "supplier_code"]).merge();
          await writeAudit(trx, { actor: actorOf(user), tenantCode: t.tenant_code, action: "etrading.consortium.declare", object: `${t.id}/${user.unitCode}`, after: { members } });
        });
        return { tenderId: t.id, supplierCode: user.unitCode, members, rule: "credit.consortium" };
      },
    },
  },
};

/** The members as declared: each a valid credit code, not the lead itself, no repeats, nothing but code and name. */
function parseMembers(raw: unknown, lead: string): Array<{ code: string; name: string | null }> {
  if (!Array.isArray(raw)) throw validationFailed([fieldError("/members", "type", "请列出联合体其他成员", "List the consortium's other members")]);
  if (raw.length > MAX_MEMBERS) throw validationFailed([fieldError("/members", "maxItems", `联合体成员不超过 ${MAX_MEMBERS} 家`, `At most ${MAX_MEMBERS} members`)]);
  const seen = new Set<string>([lead]);
  const problems = [];
  const out: Array<{ code: string; name: string | null }> = [];
  for (const [i, m] of raw.entries()) {
    const entry = (m ?? {}) as Record<string, unknown>;
    const extra = Object.keys(entry).filter((k) => k !== "code" && k !== "name");
    if (extra.length) {
      problems.push(fieldError(`/members/${i}/${extra[0]}`, "credit.noSupplierUpload", "信用记录由平台自行查询，供应商无需提交信用证明材料", "The platform queries credit records itself: suppliers submit no credit evidence"));
      continue;
    }
    const code = typeof entry.code === "string" ? entry.code.trim().toUpperCase() : "";
    if (!isUnifiedSocialCreditCode(code)) problems.push(fieldError(`/members/${i}/code`, "uscc", "不是有效的统一社会信用代码", "not a valid unified social credit code"));
    else if (seen.has(code)) problems.push(fieldError(`/members/${i}/code`, "unique", "成员重复（或为牵头人自身）", "a member twice (or the lead itself)"));
    else {
      seen.add(code);
      out.push({ code, name: typeof entry.name === "string" && entry.name.trim() ? entry.name.trim().slice(0, 200) : null });
    }
  }
  if (problems.length) throw validationFailed(problems);
  return out;
}
