import type { Knex } from "knex";
import type { Service } from "moleculer";
import {
  conflict, fieldError, forbidden, isMoney, isUuid, localDate, money, notFound, PlatformError, type PlatformContext, platformNow, type PlatformServiceSchema,
  type PluginServiceThis, prepared, type PrepareContext, type RoomJoin, type SessionUser, toMoney, toRoom, validationFailed, type WorkflowHooks,
} from "../../../core/sdk";
import { type OfferForOrder, orderHooks, planItems, type ProjectView, spentOn, withinMallScope } from "./orders";
import { frameworkOf, memberOf, publishCallOff } from "./frameworks";
import { eligibility } from "../../etrading/api";

/**
 * The live reverse auction (电子反拍 / 网上竞价, plugins/emall/README.md "Reverse auction"): the
 * emall.auction workflow carries it from bidding to payment; quotes and the live room are here.
 * Every quote of an auction is taken under one per-auction lock: 200 bidders in the last 30 seconds
 * are a few quotes a second, and one order of quotes makes the ranking, the end and the pushed
 * lowest price agree whatever arrives at once.
 */

const AUCTION = { "zh-CN": "竞价", en: "auction" };
/** 72 hours: the winner's time to confirm (the workflow's `lapse` deadline says the same, 3 days) */
export const CONFIRM_HOURS = 72;
const HOUR = 3_600_000;

export interface AuctionRow {
  id: string; tenant_code: string; unit_code: string; unit_name: string; project_id: string; plan_line: number; title: string; requirements: string;
  category_code: string; quantity: number; max_unit_price: string; starts_at: Date; ends_at: Date; status: string; closed_at: Date | null;
  winner_code: string | null; winner_price: string | null; framework_id: string | null; created_at: Date;
  ext_within_s: number | null; ext_by_s: number | null; ext_max: number | null; extensions: number;
}
interface Standing { supplier_code: string; supplier_name: string; seq: number; unit_price: string; quoted_at: Date; id: string; offer_id: string }

export const auctionRoom = (id: string) => `emall.auctions:${id}`;
/** 供应商 A … Z, then AA, AB …: what the other bidders know a bidder by, in this auction only */
export function alias(seq: number): string {
  let s = "";
  for (let n = seq; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

const lock = (trx: Knex.Transaction, id: string) => trx.raw("select pg_advisory_xact_lock(hashtext(?))", [`emall.auction:${id}`]);

/** Each bidder's last quote, best first: the lowest price, a tie to the earliest quote (then the earlier row). */
export async function ranking(db: Knex, id: string): Promise<Standing[]> {
  const r = await db.raw(
    `select l.supplier_code, b.supplier_name, b.seq, l.unit_price, l.quoted_at, l.id, l.offer_id
       from (select distinct on (supplier_code) supplier_code, unit_price, quoted_at, id, offer_id from emall_auction_quotes where auction_id = ? order by supplier_code, id desc) l
       join emall_auction_bidders b on b.auction_id = ? and b.supplier_code = l.supplier_code
      order by l.unit_price asc, l.quoted_at asc, l.id asc`,
    [id, id],
  );
  return r.rows;
}

async function auctionOf(db: Knex, id: string, forUpdate = false): Promise<AuctionRow> {
  if (!isUuid(id)) throw notFound(AUCTION);
  const q = db<AuctionRow>("emall_auctions").where({ id });
  const row = await (forUpdate ? q.forUpdate() : q).first();
  if (!row) throw notFound(AUCTION);
  return row;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/** What a participant sees: the lowest price and who holds it by letter only; its own standing in full. */
function publicView(a: AuctionRow, rank: Standing[], me: string | null, seesNames: boolean) {
  const best = rank[0];
  const mine = me ? rank.findIndex((s) => s.supplier_code === me) : -1;
  return {
    id: a.id, title: a.title, requirements: a.requirements, categoryCode: a.category_code, quantity: a.quantity, maxUnitPrice: toMoney(a.max_unit_price),
    unitName: a.unit_name, startsAt: iso(a.starts_at), endsAt: iso(a.ends_at), status: a.status,
    extension: a.ext_within_s ? { withinSeconds: a.ext_within_s, bySeconds: a.ext_by_s, maxTimes: a.ext_max, used: a.extensions } : null, serverTime: platformNow().toISOString(), room: auctionRoom(a.id),
    bidders: rank.length,
    lowest: best ? { unitPrice: toMoney(best.unit_price), bidder: alias(best.seq), at: iso(best.quoted_at) } : null,
    me: mine >= 0 ? { bidder: alias(rank[mine].seq), unitPrice: toMoney(rank[mine].unit_price), rank: mine + 1 } : null,
    // the purchaser and regulators see the names once bidding is over; bidders never see each other's
    ranking: seesNames && a.status === "closed" ? rank.map((s, i) => ({ rank: i + 1, bidder: alias(s.seq), supplierCode: s.supplier_code, supplierName: s.supplier_name, unitPrice: toMoney(s.unit_price), at: iso(s.quoted_at) })) : null,
    winner: a.status === "closed" && a.winner_code ? { unitPrice: toMoney(a.winner_price!), bidder: alias(rank[0].seq), ...(seesNames || me === a.winner_code ? { supplierCode: a.winner_code, supplierName: rank[0].supplier_name } : {}) } : null,
  };
}

/** The purchaser that runs it, or a regulator or admin of its region: those see names after the end. */
const oversees = (u: SessionUser, a: AuctionRow) => (u.roles.includes("purchaser") && u.unitCode === a.unit_code) || ((u.roles.includes("regulator") || u.roles.includes("tenant-admin")) && u.tenantCode === a.tenant_code);

/**
 * The auction's start and award: a filed plan executed on the e-mall, the line's remaining budget
 * holding quantity × maximum, an end in the future; at the end (the `close` deadline, server time)
 * the lowest last quote wins and becomes an order (emall_orders under the auction's id), so that
 * confirm, accept and pay are the direct order's own steps.
 */
export const auctionHooks: WorkflowHooks = {
  start: prepared({
    async prepare(step: PrepareContext) {
      if (!step.call) throw new Error("an auction is started by a user");
      return step.call<ProjectView>("supervision.get", { id: step.result.projectId }).catch((err) => {
        if ((err as { type?: string }).type !== "NOT_FOUND") throw err;
        throw validationFailed([fieldError("/projectId", "project", "没有这个采购项目，或您无权查看", "No such procurement project, or not yours to see")]);
      });
    },
    async apply(step, project) {
      const user = step.user as SessionUser;
      const d = step.result as {
        planLine: number; title: string; requirements: string; categoryCode: string; quantity: number; maxUnitPrice: string; endsAt: string; frameworkId?: string;
        extension?: { withinSeconds: number; bySeconds: number; maxTimes: number };
      };
      if (project.stage !== "execution" || project.channel !== "emall") {
        throw validationFailed([fieldError("/projectId", "plan-filed", "该项目的采购计划尚未备案，或未选择电子卖场执行", "The project's plan is not filed, or is not executed on the e-mall")]);
      }
      const item = planItems(project)[d.planLine];
      if (!item) throw validationFailed([fieldError("/planLine", "plan-line", "计划中没有这一明细行", "The plan has no such line")]);
      if (!isMoney(d.maxUnitPrice) || !money(d.maxUnitPrice).greaterThan(0)) throw validationFailed([fieldError("/maxUnitPrice", "money", "最高限价应为大于 0 的金额", "The maximum must be an amount above 0")]);
      const endsAt = new Date(d.endsAt);
      if (endsAt.getTime() <= step.now.getTime() + 60_000) throw validationFailed([fieldError("/endsAt", "future", "竞价截止时间应晚于当前服务器时间至少 1 分钟", "The end must be at least a minute after the server's time now")]);
      if (d.frameworkId) {
        // a second-round competition among the agreement's suppliers: the agreement's price is the ceiling (framework.callOffMethods)
        const f = await frameworkOf(step.trx, d.frameworkId).catch(() => {
          throw validationFailed([fieldError("/frameworkId", "framework", "没有这份框架协议", "No such framework agreement")]);
        });
        const today = localDate(step.now);
        if (today < f.starts_on || today > f.ends_on) throw validationFailed([fieldError("/frameworkId", "framework.term", `框架协议有效期为 ${f.starts_on} 至 ${f.ends_on}`, `The agreement runs from ${f.starts_on} to ${f.ends_on}`)]);
        if (!d.categoryCode.startsWith(f.category_code)) throw validationFailed([fieldError("/categoryCode", "framework", `应为框架协议的品目 ${f.category_code}`, `must be the agreement's category ${f.category_code}`)]);
        if (money(toMoney(d.maxUnitPrice)).greaterThan(f.max_unit_price)) {
          throw validationFailed([fieldError("/maxUnitPrice", "framework.callOffMethods", `二次竞价以协议价格为最高限价：不得高于 ${toMoney(f.max_unit_price)} 元`, `A second round's ceiling is the agreement's price: at most ${toMoney(f.max_unit_price)} yuan`)]);
        }
      }
      const ceiling = toMoney(money(toMoney(d.maxUnitPrice)).times(d.quantity));
      const scope = withinMallScope(ceiling, "/maxUnitPrice");
      if (scope) throw validationFailed([scope]);
      const remaining = toMoney(money(toMoney(item.amount)).minus(await spentOn(step.trx, project.id, d.planLine)));
      if (money(ceiling).greaterThan(remaining)) {
        throw validationFailed([fieldError("/maxUnitPrice", "plan-line-budget", `数量 × 最高限价 = ${ceiling} 元，超过计划明细“${item.name}”的剩余预算 ${remaining} 元`, `Quantity × maximum = ${ceiling} yuan exceeds the remaining ${remaining} yuan of the plan line "${item.name}"`)]);
      }
      await step.trx("emall_auctions").insert({
        id: step.instanceId, tenant_code: project.tenantCode, unit_code: user.unitCode, unit_name: project.unitName, project_id: project.id, plan_line: d.planLine,
        title: d.title, requirements: d.requirements, category_code: d.categoryCode, quantity: d.quantity, max_unit_price: toMoney(d.maxUnitPrice),
        starts_at: step.now, ends_at: endsAt, status: "bidding", framework_id: d.frameworkId ?? null, created_at: step.now,
        ext_within_s: d.extension?.withinSeconds ?? null, ext_by_s: d.extension?.bySeconds ?? null, ext_max: d.extension?.maxTimes ?? null,
      });
      return { data: { endsAt: endsAt.toISOString(), purchaserName: project.unitName, planLineName: item.name, ceiling } };
    },
  }),
  transitions: {
    /**
     * The end moved by a late quote (the auction's extension rule, applied in the quote's own locked
     * step): the instance's `endsAt` follows the row's, so the engine moves the close timer with it.
     * Taken by the quote's supplier right after it; taking it by hand changes nothing else.
     */
    async extend(step) {
      await lock(step.trx, step.instanceId);
      const a = await auctionOf(step.trx, step.instanceId);
      return { data: { endsAt: iso(a.ends_at), extensions: a.extensions } };
    },
    async close(step) {
      // after every quote taken before the end: the same lock the quotes take
      await lock(step.trx, step.instanceId);
      const a = await auctionOf(step.trx, step.instanceId, true);
      // a late quote moved the end: this timer is the old one (the extension's step sets the new one)
      if (new Date(a.ends_at).getTime() > step.now.getTime()) throw conflict({ "zh-CN": `竞价已延时至 ${iso(a.ends_at)}`, en: `Bidding was extended to ${iso(a.ends_at)}` }, { rule: "extended", endsAt: iso(a.ends_at) });
      const rank = await ranking(step.trx, a.id);
      const best = rank[0];
      await step.trx("emall_auctions").where({ id: a.id }).update({ status: "closed", closed_at: step.now, winner_code: best?.supplier_code ?? null, winner_price: best?.unit_price ?? null });
      if (!best) return { data: { winner: null } };
      const total = toMoney(money(best.unit_price).times(a.quantity));
      const confirmBy = new Date(step.now.getTime() + CONFIRM_HOURS * HOUR);
      // the offer it last quoted with is what the confirmation takes from stock
      const line = { offerId: best.offer_id, productId: null, productName: a.title, brand: "", model: "", quantity: a.quantity, unitPrice: toMoney(best.unit_price), amount: total };
      await step.trx("emall_orders").insert({
        id: a.id, tenant_code: a.tenant_code, unit_code: a.unit_code, unit_name: a.unit_name, project_id: a.project_id, plan_line: a.plan_line,
        supplier_code: best.supplier_code, supplier_name: best.supplier_name, total, lines: JSON.stringify([line]), status: "placed", kind: a.framework_id ? "call-off" : "auction", confirm_by: confirmBy, created_at: step.now, updated_at: step.now,
      });
      // a second round under an agreement: its award published, within framework.callOffResultNotice
      const notice = a.framework_id
        ? await publishCallOff(step, await frameworkOf(step.trx, a.framework_id), { supplierName: best.supplier_name, unitPrice: toMoney(best.unit_price), quantity: a.quantity, total, method: "second-round", unitName: a.unit_name })
        : {};
      return {
        // the supplier at the top level too, as every order's data has it (the `emall.order.paid` event's fields)
        data: { supplierCode: best.supplier_code, supplierName: best.supplier_name, winner: { supplierCode: best.supplier_code, supplierName: best.supplier_name, unitPrice: toMoney(best.unit_price), total, offerId: best.offer_id, quantity: a.quantity }, bidders: rank.length, confirmBy: confirmBy.toISOString(), ...notice },
        parties: [best.supplier_code],
      };
    },
    async fail(step) {
      const a = await auctionOf(step.trx, step.instanceId);
      if (a.winner_code) throw conflict({ "zh-CN": "本次竞价已有成交供应商", en: "This auction has a winner" }, { rule: "has-winner" });
      return {};
    },
    // the winner cannot back out (price error, stock, logistics): it confirms, or the deadline lapses the award
    confirm: orderHooks.transitions!.confirm,
    async lapse(step) {
      await step.trx("emall_orders").where({ id: step.instanceId }).update({ status: "lapsed", updated_at: step.now });
      return {};
    },
    accept: orderHooks.transitions!.accept,
    pay: orderHooks.transitions!.pay,
  },
};

type This = Service & PluginServiceThis;

/**
 * Through e-trading's eligibility point (credit provides it from its imported lists): a supplier whose
 * head or controller it shares with a bidder already in may not take part (supplier.relatedParties,
 * where e-trading only flags it for the committee), nor one a list excludes. The other bidder is not
 * named: bidders stay anonymous to each other.
 */
async function screen(svc: This, ctx: PlatformContext, a: AuctionRow, others: Array<{ code: string; name: string }>, me: { code: string; name: string }) {
  for (const p of svc.extensions.providers(ctx, eligibility)) {
    const { bidders } = await p.call.check({ tenderId: a.id, tenantCode: a.tenant_code, cutoff: platformNow().toISOString(), bidders: [...others, me], committee: [a.unit_code] });
    const mine = bidders.find((b) => b.code === me.code);
    if (mine && !mine.eligible) throw conflict({ "zh-CN": "贵单位在信用记录名单中，不能参加本次竞价", en: "A credit list excludes you from this auction" }, { rule: mine.reasons[0]?.rule ?? "eligibility", reasons: mine.reasons.map((r) => ({ rule: r.rule, source: r.source })) });
    const related = mine?.flags.filter((f) => f.rule === "supplier.relatedParties" && f.party === me.code) ?? [];
    if (related.length) {
      throw conflict(
        { "zh-CN": "贵单位与本次竞价已有的参与供应商单位负责人为同一人或存在直接控股、管理关系，不得参加同一竞价（supplier.relatedParties）", en: "You share a head, or a direct control or management relation, with a supplier already in this auction: you may not take part (supplier.relatedParties)" },
        { rule: "supplier.relatedParties", source: related[0].source },
      );
    }
  }
}

export const auctionsService: PlatformServiceSchema & ThisType<This> = {
  name: "emall.auctions",
  actions: {
    /** GET /api/emall/auctions: the open and recent auctions of the caller's region (a supplier's to take part in; a unit's own). */
    list: {
      rest: "GET /auctions",
      kind: "read",
      permission: "authenticated",
      async handler(this: This, ctx: PlatformContext) {
        const u = ctx.meta.user as SessionUser;
        const q = this.db<AuctionRow>("emall_auctions").orderBy("ends_at", "desc").limit(100);
        if (u.roles.includes("purchaser") && u.unitCode) q.where({ unit_code: u.unitCode });
        else q.where({ tenant_code: u.tenantCode });
        return { items: (await q).map((a) => ({ id: a.id, title: a.title, categoryCode: a.category_code, quantity: a.quantity, maxUnitPrice: toMoney(a.max_unit_price), unitName: a.unit_name, endsAt: iso(a.ends_at), status: a.status })), serverTime: platformNow().toISOString() };
      },
    },

    /** GET /api/emall/auctions/:id: where it stands, for a first load, a reload or a late joiner (the room is the fast path). */
    get: {
      rest: "GET /auctions/:id",
      kind: "read",
      permission: "authenticated",
      async handler(this: This, ctx: PlatformContext<{ id: string }>) {
        const u = ctx.meta.user as SessionUser;
        const a = await auctionOf(this.db, ctx.params.id);
        if (!oversees(u, a) && !u.roles.includes("supplier")) throw forbidden();
        return publicView(a, await ranking(this.db, a.id), u.roles.includes("supplier") ? u.unitCode ?? null : null, oversees(u, a));
      },
    },

    /** The live room: the purchaser, its regulators and any supplier of the region may watch; the gate and the answer decide. */
    join: {
      room: true,
      kind: "read",
      permission: "authenticated",
      params: { id: "string" },
      async handler(this: This, ctx: PlatformContext<{ id: string }>): Promise<RoomJoin> {
        const u = ctx.meta.user as SessionUser;
        const a = await auctionOf(this.db, ctx.params.id);
        if (!oversees(u, a) && !u.roles.includes("supplier")) throw forbidden();
        return { room: auctionRoom(a.id), auctionId: a.id, endsAt: iso(a.ends_at) };
      },
    },

    /**
     * POST /api/emall/auctions/:id/quotes { unitPrice, offerId }: a supplier's quote, with the offer of
     * its own in the auction's category it quotes for (admitted, licences valid: commodities decides).
     * Server time decides: at or after the end it is refused. Never above the maximum.
     */
    quote: {
      rest: "POST /auctions/:id/quotes",
      kind: "continue",
      permission: "authenticated",
      async handler(this: This, ctx: PlatformContext<{ id: string; unitPrice?: unknown; offerId?: unknown }>) {
        const u = ctx.meta.user as SessionUser;
        if (!u.roles.includes("supplier") || !u.unitCode) throw forbidden();
        const price = ctx.params.unitPrice;
        if (typeof price !== "string" || !isMoney(price) || !money(price).greaterThan(0)) throw validationFailed([fieldError("/unitPrice", "money", "报价应为大于 0 的金额，如 4500.00", "The quote must be an amount above 0, e.g. 4500.00")]);
        if (typeof ctx.params.offerId !== "string" || !isUuid(ctx.params.offerId)) throw validationFailed([fieldError("/offerId", "offer", "请选择贵单位在该品目下的一条商品报价", "Choose one of your offers in this category")]);
        const a = await auctionOf(this.db, ctx.params.id);
        // a second round is among the agreement's suppliers only
        if (a.framework_id) await memberOf(this.db, await frameworkOf(this.db, a.framework_id), u.unitCode, localDate(platformNow()), "/offerId");
        const { items } = await ctx.call<{ items: OfferForOrder[] }, { ids: string[] }>("commodities.forOrder", { ids: [ctx.params.offerId] });
        const offer = items[0] as (OfferForOrder & { categoryCode: string }) | undefined;
        if (!offer || offer.supplier.code !== u.unitCode || offer.status !== "active" || !offer.categoryCode.startsWith(a.category_code)) {
          throw validationFailed([fieldError("/offerId", "category", "该报价不是贵单位在本次竞价品目下的有效报价", "This is not an active offer of yours in the auction's category")]);
        }
        if (!offer.mayTrade) throw conflict({ "zh-CN": "贵单位未通过商品库入驻审核，或资质证照已过期，不能参加竞价", en: "You are not admitted to the commodities registry, or a licence has expired: you may not take part" }, { rule: "admission", lapsed: offer.lapsedLicences });
        const unitPrice = toMoney(price);
        if (money(unitPrice).greaterThan(toMoney(a.max_unit_price))) {
          throw validationFailed([fieldError("/unitPrice", "max-price", `报价 ${unitPrice} 元高于最高限价 ${toMoney(a.max_unit_price)} 元`, `The quote of ${unitPrice} yuan is above the maximum of ${toMoney(a.max_unit_price)} yuan`)]);
        }
        // A new bidder is screened against the bidders already in (supplier.relatedParties, and credit's
        // blacklists) before its first quote is taken; the screening holds for the bidders it saw, so the
        // quote is taken only if nobody joined meanwhile, else it is screened again with them.
        const screened = this.extensions.providers(ctx, eligibility).length > 0;
        const bidders = async (db: Knex) => (await db("emall_auction_bidders").where({ auction_id: a.id }).select("supplier_code", "supplier_name")).map((b) => ({ code: b.supplier_code as string, name: b.supplier_name as string }));
        const take = (seen: Array<{ code: string }> | null) => this.db.transaction(async (trx) => {
          await lock(trx, a.id);
          if (seen) {
            const current = await bidders(trx);
            if (!current.some((b) => b.code === u.unitCode) && current.length !== seen.length) return null;
          }
          // the time is read once the lock is held: what was before the end here is before the close too
          const now = platformNow();
          const row = await auctionOf(trx, a.id);
          if (row.status !== "bidding" || now.getTime() >= new Date(row.ends_at).getTime()) {
            throw new PlatformError("CONFLICT", { "zh-CN": `竞价已于 ${new Date(row.ends_at).toISOString()} 截止，本次报价（服务器时间 ${now.toISOString()}）未被接受`, en: `Bidding ended at ${new Date(row.ends_at).toISOString()}: this quote (server time ${now.toISOString()}) is not accepted` }, { rule: "ended", endsAt: iso(row.ends_at), serverTime: now.toISOString() });
          }
          let me = await trx("emall_auction_bidders").where({ auction_id: a.id, supplier_code: u.unitCode }).first();
          if (!me) {
            const [{ n }] = await trx("emall_auction_bidders").where({ auction_id: a.id }).count({ n: "*" });
            me = { auction_id: a.id, supplier_code: u.unitCode, supplier_name: offer.supplier.name, seq: Number(n) + 1, joined_at: now };
            await trx("emall_auction_bidders").insert(me);
          }
          const [q] = await trx("emall_auction_quotes").insert({ auction_id: a.id, supplier_code: u.unitCode, offer_id: offer.id, unit_price: unitPrice, quoted_at: now }).returning(["id"]);
          // the auction's own rule (none unless set at its creation): a late quote moves the end
          let extendedTo: Date | null = null;
          if (row.ext_within_s && row.ext_by_s && row.ext_max && row.extensions < row.ext_max && new Date(row.ends_at).getTime() - now.getTime() <= row.ext_within_s * 1000) {
            const to = new Date(now.getTime() + row.ext_by_s * 1000);
            if (to.getTime() > new Date(row.ends_at).getTime()) {
              extendedTo = to;
              await trx("emall_auctions").where({ id: a.id }).update({ ends_at: to, extensions: row.extensions + 1 });
            }
          }
          const rank = await ranking(trx, a.id);
          return { quoteId: String(q.id), at: now, rank, me: alias(me.seq), extendedTo };
        });
        let taken = null;
        for (let round = 0; round < 5 && !taken; round++) {
          const seen = screened ? await bidders(this.db) : null;
          if (seen && !seen.some((b) => b.code === u.unitCode)) await screen(this, ctx, a, seen, { code: u.unitCode, name: offer.supplier.name });
          taken = await take(seen);
        }
        if (!taken) throw conflict({ "zh-CN": "参与竞价的供应商正在加入，请重新提交报价", en: "Suppliers are joining this auction: submit the quote again" }, { rule: "retry" });
        const best = taken.rank[0];
        const mine = taken.rank.findIndex((s) => s.supplier_code === u.unitCode);
        // the quote id orders the pushes: a page keeps the latest it has seen, whichever arrives first
        await toRoom(this.broker, auctionRoom(a.id), "lowest", { auctionId: a.id, seq: Number(taken.quoteId), unitPrice: toMoney(best.unit_price), bidder: alias(best.seq), bidders: taken.rank.length, at: iso(taken.at) });
        if (taken.extendedTo) {
          await toRoom(this.broker, auctionRoom(a.id), "extended", { auctionId: a.id, seq: Number(taken.quoteId), endsAt: iso(taken.extendedTo) });
          // the close timer follows the new end (a close that fires before this refuses, see `close`)
          await ctx.call("workflows.transition", { id: a.id, name: "extend" });
        }
        return { quoteId: taken.quoteId, unitPrice, at: taken.at.toISOString(), bidder: taken.me, rank: mine + 1, lowest: toMoney(best.unit_price), ...(taken.extendedTo ? { endsAt: iso(taken.extendedTo) } : {}) };
      },
    },
  },
};
