import type { Knex } from "knex";
import type { Context, Service } from "moleculer";
import {
  PlatformError, actorOf, conflict, fieldError, forbidden, implement, isMoney, type Localized, type PlatformContext, type PlatformServiceSchema,
  platformNow, type PluginServiceThis, type RoomJoin, type RoomLeft, toMoney, toRoom, validationFailed, writeAudit,
} from "../../../core/sdk";
import { SealError, openWithDataKey } from "../sealed";
import { bidSecurity, type BidSecurityStatus } from "../api";
import { BIDDER_KEY, closeOpening, opening, type OpeningBid, type OpeningTender } from "./bids";
import { HALL_RULES, hallNews, hallRecord, hallRoom, moveTender, outcomeView, type HallEvent } from "./hall-news";
import { tenderGate } from "./tenders";

/**
 * The live remote opening hall (远程开标) of a tender, at and after its deadline
 * (plugins/etrading/README.md, "Opening hall"): who is present, the bidder list with each bidder's
 * deposit or guarantee, the decryption window, each share handed in and bid opened, the record and
 * what too few valid bids leave the tender with. Everything announced is kept
 * (etrading_hall_events) and answered by `GET .../hall`; the socket room is the fast path.
 */

interface Present {
  accountId: string;
  role: string;
  name: string;
}
type This = Service & PluginServiceThis & { windowTimer?: NodeJS.Timeout; closing?: Promise<void>; presenceBatches?: Map<string, PresenceBatch> };
interface PresenceBatch {
  joined: Map<string, Present>;
  left: Set<string>;
  timer?: NodeJS.Timeout;
}
type Role = "host" | "custodian" | "regulator" | "bidder";

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);
/** How often a node looks for a decryption window whose end has come. */
const WINDOW_CHECK_MS = 500;

const STRANGER: Localized = { "zh-CN": "您不是本项目开标的参加人（投标人、开标人、采购人、代理机构或监管部门），不能进入开标大厅", en: "You do not take part in this opening (as a bidder, custodian, purchaser, agency or regulator): you cannot enter its hall" };

const EVALUATOR: Localized = {
  "zh-CN": "评审专家（评标委员会成员）不得参加开标活动，不能进入开标大厅（tender.opening.noEvaluators）",
  en: "Evaluation experts (members of the evaluation committee) may not attend the opening: you cannot enter its hall (tender.opening.noEvaluators)",
};
if (HALL_RULES["tender.opening.noEvaluators"].value !== true) throw new Error("tender.opening.noEvaluators is a rule the hall keeps");

/** What the user is in this tender's hall, or a clear refusal. */
async function rolesIn(db: Knex, ctx: PlatformContext, t: OpeningTender): Promise<{ roles: Role[]; custodians: string[]; supplierName?: string }> {
  const user = ctx.meta.user!;
  // the committee is drawn from the experts' accounts: none of them attends an opening, whatever else it holds
  if (user.roles.includes("expert")) throw new PlatformError("FORBIDDEN", EVALUATOR, { rule: "tender.opening.noEvaluators" });
  const roles: Role[] = [];
  if (opening.runs(user, t)) roles.push("host");
  const custodians = opening.custodianIds(t).filter((c) => opening.holds(user, t, c));
  if (custodians.length) roles.push("custodian");
  if (opening.regulates(ctx, t) && user.roles.includes("regulator")) roles.push("regulator");
  let supplierName: string | undefined;
  if (user.roles.includes("supplier") && user.unitCode) {
    // one look-up: a supplier that bid (any version), with the name it registered under
    const bid = await db("etrading_bids as b").leftJoin("etrading_registrations as r", function () {
      this.on("r.tender_id", "b.tender_id").andOn("r.supplier_code", "b.supplier_code");
    }).where({ "b.tender_id": t.id, "b.supplier_code": user.unitCode }).first("r.supplier_name");
    if (bid) {
      roles.push("bidder");
      supplierName = bid.supplier_name ?? user.unitCode;
    }
  }
  if (!roles.length) throw new PlatformError("FORBIDDEN", STRANGER, { rule: "hall-participant" });
  return { roles, custodians, supplierName };
}

async function hallTender(svc: This, ctx: PlatformContext<{ id: string }>): Promise<OpeningTender> {
  const t = await opening.tenderOf(svc.db, ctx.params.id);
  opening.refuseBeforeDeadline(t, platformNow(), { "zh-CN": "开标大厅", en: "The opening hall opens" });
  return t;
}

async function presence(db: Knex, tenderId: string) {
  const rows = await db("etrading_hall_presence").where({ tender_id: tenderId }).orderBy("joined_at");
  // one entry per person, however many tabs it has open
  const seen = new Map<string, { accountId: string; role: string; name: string; since: string }>();
  for (const r of rows) if (!seen.has(r.account_id)) seen.set(r.account_id, { accountId: r.account_id, role: r.role, name: r.name, since: iso(r.joined_at)! });
  return [...seen.values()];
}

/** How long a node gathers who came and went before it tells the hall (one message for a crowd arriving together). */
const PRESENCE_BATCH_MS = 200;

/**
 * Who came or went, as changes gathered for PRESENCE_BATCH_MS: a full list to each of 1,000
 * bidders at each of their joins would be a million entries, and one message per join still a
 * million messages. Too frequent to keep as history: pushed, and read from the presence rows by
 * GET. `count` is the people present when the batch goes.
 */
function announcePresence(svc: This, tenderId: string, change: { joined?: Present; left?: string }): void {
  svc.presenceBatches ??= new Map();
  let batch = svc.presenceBatches.get(tenderId);
  if (!batch) {
    const fresh: PresenceBatch = { joined: new Map(), left: new Set() };
    batch = fresh;
    svc.presenceBatches.set(tenderId, fresh);
    fresh.timer = setTimeout(() => {
      svc.presenceBatches!.delete(tenderId);
      void (async () => {
        const [{ n }] = await svc.db("etrading_hall_presence").where({ tender_id: tenderId }).countDistinct({ n: "account_id" });
        await toRoom(svc.broker, hallRoom(tenderId), "presence", { joined: [...fresh.joined.values()], left: [...fresh.left], count: Number(n) });
      })().catch((err: Error) => svc.logger.warn(`hall presence not told: ${err.message}`));
    }, PRESENCE_BATCH_MS).unref();
  }
  if (change.joined) {
    batch.joined.set(change.joined.accountId, change.joined);
    batch.left.delete(change.joined.accountId);
  }
  if (change.left) {
    batch.joined.delete(change.left);
    batch.left.add(change.left);
  }
}

const windowView = (w: { starts_at: Date; ends_at: Date; closed_at: Date | null } | undefined) =>
  w ? { startsAt: iso(w.starts_at), endsAt: iso(w.ends_at), closedAt: iso(w.closed_at) } : null;

/**
 * Closes the windows whose end has come (all, or one tender's): a bid still sealed is closed by
 * ebid.decryptionFailure: revoked where the bidder was to decrypt it itself, else withdrawn. One
 * node claims each window (closed_at), so the record is published once.
 */
async function closeDueWindows(svc: This, tenderId?: string): Promise<void> {
  const now = platformNow();
  const due = await svc.db("etrading_hall_windows").whereNull("closed_at").where("ends_at", "<=", now).modify((q) => (tenderId ? q.where({ tender_id: tenderId }) : q));
  for (const w of due) {
    const claimed = await svc.db("etrading_hall_windows").where({ tender_id: w.tender_id }).whereNull("closed_at").update({ closed_at: now }).returning("tender_id");
    if (!claimed.length) continue;
    const t = await opening.tenderOf(svc.db, w.tender_id);
    const reason = t.config.bidderKey ? "bidder-did-not-decrypt" : "custodians-did-not-decrypt";
    const closed = await closeOpening(svc.db, t, now, { service: "etrading.hall", window: { endsAt: iso(w.ends_at), setBy: w.set_by } }, w.set_by, reason);
    await hallNews(svc.broker, svc.db, t.id, "window-closed", { endsAt: iso(w.ends_at), rule: "ebid.decryptionFailure", reason });
    if (closed) await hallRecord(svc.broker, svc.db, t, await opening.openingRecord(svc.db, t));
  }
}

async function hallState(svc: This, ctx: PlatformContext, t: OpeningTender & { title?: string; method?: string }, me: Awaited<ReturnType<typeof rolesIn>>) {
  const [events, window, outcome, present, record] = await Promise.all([
    svc.db("etrading_hall_events").where({ tender_id: t.id }).orderBy("id"),
    svc.db("etrading_hall_windows").where({ tender_id: t.id }).first(),
    svc.db("etrading_hall_outcomes").where({ tender_id: t.id }).first(),
    presence(svc.db, t.id),
    opening.openingRecord(svc.db, t),
  ]);
  const user = ctx.meta.user!;
  const mine = me.roles.includes("bidder") ? record.bids.find((b) => b.supplierCode === user.unitCode) : undefined;
  return {
    tenderId: t.id,
    title: t.title ?? null,
    method: t.method ?? null,
    deadline: iso(t.bid_deadline),
    serverTime: platformNow().toISOString(),
    room: hallRoom(t.id),
    me: { roles: me.roles, custodians: me.custodians, supplierCode: me.roles.includes("bidder") ? user.unitCode : null, bidId: mine?.bidId ?? null, outcome: mine?.outcome ?? null },
    selfDecryption: !!t.config.bidderKey,
    window: windowView(window),
    present,
    record,
    outcome: outcomeView(outcome),
    events: events.map((e): HallEvent => ({ id: Number(e.id), kind: e.kind, data: e.data, at: iso(e.at)! })),
  };
}

function parseTime(raw: unknown, path: string) {
  const ms = typeof raw === "string" ? Date.parse(raw) : NaN;
  return Number.isNaN(ms) ? { problem: fieldError(path, "format", "请填写日期时间（ISO 8601）", "Give a date and time (ISO 8601)") } : { at: new Date(ms) };
}

const hostOnly = (ctx: PlatformContext, t: OpeningTender) => {
  if (!opening.runs(ctx.meta.user!, t)) throw forbidden();
};

export const hallService: PlatformServiceSchema = {
  name: "etrading.hall",
  started(this: This) {
    this.windowTimer = setInterval(() => {
      // one round at a time: a slow round is not overtaken by the next
      if (this.closing) return;
      this.closing = closeDueWindows(this)
        .catch((err: Error) => this.logger.warn(`opening windows not closed: ${err.message}`))
        .finally(() => (this.closing = undefined));
    }, WINDOW_CHECK_MS);
    this.windowTimer.unref();
  },
  async stopped(this: This) {
    clearInterval(this.windowTimer);
    // the database goes with the node: presence not told yet is for the next GET to tell
    for (const b of this.presenceBatches?.values() ?? []) clearTimeout(b.timer);
    await this.closing;
  },
  events: {
    /** A socket left the hall (leave, disconnect, ended session): it is no longer present. */
    "sockets.left": {
      async handler(this: This, ctx: Context<RoomLeft>) {
        const m = /^etrading\.hall:([0-9a-f-]{36})$/.exec(ctx.params.room ?? "");
        if (!m) return;
        const gone = await this.db("etrading_hall_presence").where({ tender_id: m[1], socket_id: ctx.params.socketId }).delete();
        // another tab of the same person keeps it present
        if (gone && !(await this.db("etrading_hall_presence").where({ tender_id: m[1], account_id: ctx.params.account }).first())) announcePresence(this, m[1], { left: ctx.params.account });
      },
    },
  },
  actions: {
    /** socket `join` { action: "etrading.hall.join", params: { id } }: enter the hall; answers its state. */
    join: {
      room: true,
      kind: "read",
      permission: "authenticated",
      gate: tenderGate,
      params: { id: "string" },
      async handler(this: This, ctx: PlatformContext<{ id: string }>): Promise<RoomJoin> {
        const t = await hallTender(this, ctx);
        const me = await rolesIn(this.db, ctx, t);
        const socketId = (ctx.meta as { socketId?: string }).socketId;
        const user = ctx.meta.user!;
        if (socketId) {
          const role = me.roles[0];
          const name = me.supplierName ?? `${user.username}`;
          await this.db("etrading_hall_presence").insert({ tender_id: t.id, socket_id: socketId, account_id: user.id, role, name, joined_at: platformNow() }).onConflict(["tender_id", "socket_id"]).ignore();
          announcePresence(this, t.id, { joined: { accountId: user.id, role, name } });
        }
        // who the user is here; the state itself (the record, the history) is the GET's, read once the room is joined
        const window = await this.db("etrading_hall_windows").where({ tender_id: t.id }).first();
        return { room: hallRoom(t.id), tenderId: t.id, me: { roles: me.roles, custodians: me.custodians, supplierCode: me.roles.includes("bidder") ? user.unitCode : null }, selfDecryption: !!t.config.bidderKey, window: windowView(window) };
      },
    },

    /** GET /api/etrading/tenders/:id/hall: what the hall has announced and where it stands, for a reload or a late joiner. */
    state: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /tenders/:id/hall",
      gate: tenderGate,
      params: { id: "string" },
      async handler(this: This, ctx: PlatformContext<{ id: string }>) {
        const t = await hallTender(this, ctx);
        const me = await rolesIn(this.db, ctx, t);
        await closeDueWindows(this, t.id);
        return hallState(this, ctx, t, me);
      },
    },

    /**
     * POST /api/etrading/tenders/:id/hall/bidders: the host publishes who bid, with each bidder's
     * deposit or guarantee as the bid-security providers know it.
     */
    publishBidders: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /tenders/:id/hall/bidders",
      gate: tenderGate,
      params: { id: "string" },
      async handler(this: This, ctx: PlatformContext<{ id: string }>) {
        const t = (await hallTender(this, ctx)) as OpeningTender & { documents?: { deposit?: { kind?: string; amount?: string } } };
        hostOnly(ctx, t);
        const record = await opening.openingRecord(this.db, t);
        const required = t.documents?.deposit ?? null;
        // a plugin's own record (an e-guarantee, a confirmed deposit) before e-trading's plain record, which answers for everyone
        const providers = [...this.extensions.providers(ctx, bidSecurity)].sort((a, b) => Number(a.plugin === "etrading") - Number(b.plugin === "etrading"));
        const bidders = [];
        for (const b of record.bids) {
          let security: BidSecurityStatus = { handled: false };
          for (const p of providers) {
            const r = await p.call.status({ tenantCode: t.tenant_code, tenderId: t.id, supplierCode: b.supplierCode, required });
            if (r.handled) {
              security = r;
              break;
            }
          }
          bidders.push({ supplierCode: b.supplierCode, supplierName: b.supplierName, receivedAt: b.receivedAt, hash: b.hash, security: security.handled ? security : { handled: false, status: "missing" } });
        }
        await writeAudit(this.db, { actor: actorOf(ctx.meta.user!), tenantCode: t.tenant_code, action: "etrading.hall.bidders", object: t.id, after: { bidders: bidders.map((b) => [b.supplierCode, b.security.status]) } });
        return hallNews(this.broker, this.db, t.id, "bidders", { bidders, required });
      },
    },

    /** PUT /api/etrading/tenders/:id/deposits/:supplier { amount }: the host records a deposit received (the plain bid-security record). */
    recordDeposit: {
      kind: "continue",
      permission: "authenticated",
      rest: "PUT /tenders/:id/deposits/:supplier",
      gate: tenderGate,
      params: { id: "string", supplier: "string", amount: { type: "any", optional: true } },
      async handler(this: This, ctx: PlatformContext<{ id: string; supplier: string; amount?: unknown }>) {
        const t = await opening.tenderOf(this.db, ctx.params.id);
        hostOnly(ctx, t);
        if (typeof ctx.params.amount !== "string" || !isMoney(ctx.params.amount)) {
          throw validationFailed([fieldError("/amount", "money", "请填写到账金额（元，至多两位小数）", "Give the amount received (yuan, at most two decimals)")]);
        }
        const reg = await this.db("etrading_registrations").where({ tender_id: t.id, supplier_code: ctx.params.supplier }).first();
        if (!reg) throw validationFailed([fieldError("/supplier", "exists", "该供应商未获取本项目采购文件", "This supplier has not obtained this procurement's documents")]);
        const now = platformNow();
        return this.db.transaction(async (trx) => {
          await trx("etrading_deposits").insert({ tender_id: t.id, supplier_code: ctx.params.supplier, amount: toMoney(ctx.params.amount as string), recorded_by: ctx.meta.user!.id, received_at: now }).onConflict(["tender_id", "supplier_code"]).merge();
          await writeAudit(trx, { actor: actorOf(ctx.meta.user!), tenantCode: t.tenant_code, action: "etrading.deposit.record", object: `${t.id}/${ctx.params.supplier}`, after: { amount: toMoney(ctx.params.amount as string) } });
          return { supplierCode: ctx.params.supplier, amount: toMoney(ctx.params.amount as string), receivedAt: now.toISOString() };
        });
      },
    },

    /** The plain deposit record as a bid-security provider (etrading.bid-security); e-guarantees come from the finance plugin. */
    depositStatus: implement(bidSecurity, "status", {
      kind: "read",
      permission: "authenticated",
      async handler(ctx): Promise<BidSecurityStatus> {
        const row = await this.db("etrading_deposits").where({ tender_id: ctx.params.tenderId, supplier_code: ctx.params.supplierCode }).first();
        const amount = ctx.params.required?.amount;
        if (!row) return { handled: true, kind: "deposit", status: "missing", amount: null, reference: null };
        const enough = !amount || !isMoney(amount) || Number(row.amount) >= Number(amount);
        return { handled: true, kind: "deposit", status: enough ? "received" : "invalid", amount: toMoney(row.amount), reference: null };
      },
    }),

    /**
     * PUT /api/etrading/tenders/:id/hall/window { startsAt, endsAt }: the decryption window the host
     * sets; at its end the bids still sealed are closed (ebid.decryptionFailure).
     */
    setWindow: {
      kind: "continue",
      permission: "authenticated",
      rest: "PUT /tenders/:id/hall/window",
      gate: tenderGate,
      params: { id: "string", startsAt: { type: "any", optional: true }, endsAt: { type: "any", optional: true } },
      async handler(this: This, ctx: PlatformContext<{ id: string; startsAt?: unknown; endsAt?: unknown }>) {
        const t = await opening.tenderOf(this.db, ctx.params.id);
        hostOnly(ctx, t);
        const now = platformNow();
        const s = parseTime(ctx.params.startsAt, "/startsAt");
        const e = parseTime(ctx.params.endsAt, "/endsAt");
        const problems = [s.problem, e.problem].filter((p) => !!p);
        if (!problems.length) {
          if (s.at! < new Date(t.bid_deadline)) problems.push(fieldError("/startsAt", "minimum", `解密不能早于投标截止时间（${iso(t.bid_deadline)}）开始`, `Decryption cannot start before the bid deadline (${iso(t.bid_deadline)})`));
          if (e.at! <= s.at!) problems.push(fieldError("/endsAt", "minimum", "结束时间应晚于开始时间", "The end must come after the start"));
          else if (e.at! <= now) problems.push(fieldError("/endsAt", "minimum", `结束时间应晚于现在（服务器时间 ${now.toISOString()}）`, `The end must be later than now (server time ${now.toISOString()})`));
        }
        if (problems.length) throw validationFailed(problems);
        if (await opening.allDecided(this.db, t.id)) throw conflict({ "zh-CN": "开标解密已结束，不能再设定解密时段", en: "The decryption is over: its window can no longer be set" }, { rule: "opening-closed" });
        const window = { tender_id: t.id, starts_at: s.at!, ends_at: e.at!, set_by: ctx.meta.user!.id, closed_at: null };
        await this.db.transaction(async (trx) => {
          await trx("etrading_hall_windows").insert(window).onConflict("tender_id").merge();
          await writeAudit(trx, { actor: actorOf(ctx.meta.user!), tenantCode: t.tenant_code, action: "etrading.hall.window", object: t.id, after: { startsAt: iso(s.at), endsAt: iso(e.at) } });
        });
        await hallNews(this.broker, this.db, t.id, "window", { startsAt: iso(s.at), endsAt: iso(e.at) });
        return windowView(window);
      },
    },

    /** GET /api/etrading/tenders/:id/hall/my-key: the bidder's own wrapped copy of its data key, to unwrap in its browser (self-decryption). */
    myKey: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /tenders/:id/hall/my-key",
      gate: tenderGate,
      params: { id: "string" },
      async handler(this: This, ctx: PlatformContext<{ id: string }>) {
        const t = await hallTender(this, ctx);
        const bid = await ownBid(this.db, ctx, t);
        return { tenderId: t.id, bidId: bid.id, hash: bid.hash, bidderKey: bid.bidder_key };
      },
    },

    /**
     * POST /api/etrading/tenders/:id/hall/decryption { dataKey }: the bidder decrypts its own bid
     * in the hall (tenant option config.bidderKey): the data key it unwrapped in its browser, inside
     * the window. A key that does not open the bid is refused and may be sent again until the end.
     */
    decrypt: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /tenders/:id/hall/decryption",
      gate: tenderGate,
      params: { id: "string", dataKey: { type: "any", optional: true } },
      async handler(this: This, ctx: PlatformContext<{ id: string; dataKey?: unknown }>) {
        const t = await hallTender(this, ctx);
        const bid = await ownBid(this.db, ctx, t);
        const now = platformNow();
        await closeDueWindows(this, t.id);
        const w = await this.db("etrading_hall_windows").where({ tender_id: t.id }).first();
        if (!w || w.closed_at || now < new Date(w.starts_at) || now >= new Date(w.ends_at)) {
          throw conflict(
            { "zh-CN": `不在解密时段内（服务器时间 ${now.toISOString()}${w ? `，时段 ${iso(w.starts_at)} 至 ${iso(w.ends_at)}` : "，代理机构尚未设定时段"}）`, en: `Not within the decryption window (server time ${now.toISOString()}${w ? `; window ${iso(w.starts_at)} to ${iso(w.ends_at)}` : "; the agency has not set one yet"})` },
            { rule: "ebid.decryptionFailure", window: windowView(w), serverTime: now.toISOString() },
          );
        }
        if (await this.db("etrading_openings").where({ bid_id: bid.id }).first()) throw conflict({ "zh-CN": "贵单位的投标文件已解密", en: "Your bid is already open" }, { rule: "already-open" });
        const dataKey = ctx.params.dataKey;
        try {
          if (typeof dataKey !== "string") throw new SealError("bad-share", "dataKey");
          openWithDataKey(opening.stored(bid), dataKey);
        } catch (err) {
          if (!(err instanceof SealError)) throw err;
          throw validationFailed([fieldError("/dataKey", "data-key", "该密钥不能解开贵单位的投标文件，请用加密时的密钥重新解密", "This key does not open your bid: decrypt again with the key you sealed it to")]);
        }
        await this.db.transaction(async (trx) => {
          await trx("etrading_opening_shares").insert({ bid_id: bid.id, custodian: BIDDER_KEY, share: dataKey, submitted_at: now }).onConflict(["bid_id", "custodian"]).ignore();
          await writeAudit(trx, { actor: actorOf(ctx.meta.user!), tenantCode: t.tenant_code, action: "etrading.hall.self-decrypt", object: bid.id, after: { hash: bid.hash } });
        });
        await opening.decide(this as never, ctx, t, now, [bid.id]);
        const record = await opening.openingRecord(this.db, t);
        if (await opening.allDecided(this.db, t.id)) await hallRecord(this.broker, this.db, t, record);
        return record.bids.find((b) => b.bidId === bid.id);
      },
    },

    /**
     * POST /api/etrading/tenders/:id/hall/method-change { approve, reason? }: with two valid bids in
     * a public tender, the regulator approves competitive negotiation with them
     * (tender.twoBidders.negotiation) or refuses, and the tender has failed (tender.minBidders).
     */
    methodChange: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /tenders/:id/hall/method-change",
      gate: tenderGate,
      params: { id: "string", approve: { type: "any", optional: true }, reason: { type: "any", optional: true } },
      async handler(this: This, ctx: PlatformContext<{ id: string; approve?: unknown; reason?: unknown }>) {
        const t = await opening.tenderOf(this.db, ctx.params.id);
        const user = ctx.meta.user!;
        if (!user.roles.includes("regulator") || !opening.regulates(ctx, t)) throw forbidden();
        if (typeof ctx.params.approve !== "boolean") throw validationFailed([fieldError("/approve", "type", "请选择批准或不批准", "Say whether you approve (true or false)")]);
        const reason = typeof ctx.params.reason === "string" ? ctx.params.reason.trim().slice(0, 2000) : null;
        const now = platformNow();
        const approved = ctx.params.approve;
        const changed = await this.db.transaction(async (trx) => {
          const rows = await trx("etrading_hall_outcomes").where({ tender_id: t.id, state: "awaiting-approval" }).update({
            state: approved ? "method-changed" : "failed", rule: approved ? "tender.twoBidders.negotiation" : "tender.minBidders", method: approved ? "competitive-negotiation" : null,
            reason, decided_by: user.id, decided_at: now,
          }).returning("*");
          if (!rows.length) return undefined;
          await writeAudit(trx, { actor: actorOf(user), tenantCode: t.tenant_code, action: approved ? "etrading.hall.method-change.approve" : "etrading.hall.method-change.refuse", object: t.id, after: { reason } });
          return rows[0];
        });
        if (!changed) {
          const o = await this.db("etrading_hall_outcomes").where({ tender_id: t.id }).first();
          throw conflict(
            { "zh-CN": "只有开标后恰有两家有效投标、尚待批准的公开招标项目才能批准变更采购方式", en: "Only a public tender left with exactly two valid bids, awaiting approval, can have its method changed" },
            { rule: "tender.twoBidders.negotiation", state: o?.state ?? null },
          );
        }
        const view = outcomeView(changed);
        await hallNews(this.broker, this.db, t.id, "outcome", { outcome: view });
        // the regulator's decision moves the tender, in the regulator's name
        await moveTender(this.broker, t, approved ? "approve-method-change" : "refuse-method-change", user);
        return view;
      },
    },
  },
};

/** The bidder's counted bid, with its own copy of the key: what self-decryption works on. */
async function ownBid(db: Knex, ctx: PlatformContext, t: OpeningTender): Promise<OpeningBid> {
  const user = ctx.meta.user!;
  if (!user.roles.includes("supplier") || !user.unitCode) throw forbidden();
  const bid: OpeningBid | undefined = await opening.lastVersions(db, t.id).where({ "b.supplier_code": user.unitCode }).first("b.*");
  if (!bid || bid.action !== "submitted") throw new PlatformError("FORBIDDEN", STRANGER, { rule: "hall-participant" });
  if (!t.config.bidderKey || !bid.bidder_key) {
    throw conflict({ "zh-CN": "本项目由开标人解密，不采用投标人自行解密", en: "In this procurement the custodians decrypt: bidders do not decrypt their own bids" }, { rule: "bidder-key" });
  }
  return bid;
}
