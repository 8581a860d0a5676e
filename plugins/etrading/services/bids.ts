import { createHash, randomUUID } from "node:crypto";
import { subject } from "@casl/ability";
import type { Knex } from "knex";
import type { Service } from "moleculer";
import {
  abilityOf, actorOf, compareMoney, conflict, enqueue, idempotencyKeyOf, localDate, fieldError, forbidden, isMoney, type Localized, notFound, type PlatformContext,
  type PlatformServiceSchema, platformNow, type PluginServiceThis, sealDocument, type SessionUser, toMoney, validationFailed, writeAudit,
} from "../../../core/sdk";
import {
  SOFTWARE_PROVIDER, SealError, checkSealed, newSigningKey, openBid, openWithDataKey, receiptKeyId, shareMatches, signReceiptWith, signedContent,
  toBase64, type BidReceipt, type SealedBid,
} from "../sealed";
import { publicKeyOf, signEd25519, verifyEd25519 } from "./ed25519";
import rules from "./bids-rules.json";
import { tenderGate } from "./tenders";
import { custodianIds, holds } from "./custodians";
import { signingProviders } from "../api";
import type { RefundClockEvent } from "../../finance/api";
import { openFile, type SealedFile } from "../sealed";
import { hallNews, hallRecord } from "./hall-news";
import { type Method, PROCEDURES } from "./procedures";

/** The law's facts this service enforces, by rule id (./bids-rules.json). */
export const BID_RULES = rules.rules;
/** No one opens a bid before the opening (tender.sealedUntilOpening): the shares and files wait for the deadline. */
const SEALED = "tender.sealedUntilOpening" as const;
if (BID_RULES[SEALED].value !== true) throw new Error(`${SEALED} is a rule the sealed bids keep`);

const TENDER: Localized = { "zh-CN": "采购项目", en: "procurement" };
/** The place in etrading_opening_shares of the data key a bidder unwrapped itself in the hall (never a custodian's id). */
export const BIDDER_KEY = "bidder";
/** Custodians may not be fewer: one alone must never open a bid. */
const MIN_THRESHOLD = 2;

interface Tender {
  id: string;
  tenant_code: string;
  unit: string;
  agency_code: string | null;
  status: string;
  max_price: string;
  bid_deadline: Date;
  docs_version: number;
  custodians: Array<{ role?: string; unit?: string; account?: string; tenantCode?: string }>;
  config: { openingThreshold?: number; bidderKey?: boolean; minBidders?: { rule: string | null; value: number }; invitation?: string };
}

interface BidRow {
  id: string;
  tender_id: string;
  supplier_code: string;
  version: number;
  action: "submitted" | "withdrawn";
  idempotency_key: string | null;
  docs_version: number;
  algorithm: string | null;
  nonce: string | null;
  ciphertext: Buffer | null;
  hash: string;
  threshold: number | null;
  shares: SealedBid["shares"] | null;
  bidder_key: SealedBid["bidderKey"] | null;
  signature: SealedBid["signature"] | null;
  files: SealedFile[] | null;
  receipt: BidReceipt;
  received_at: Date;
}

type This = Service & PluginServiceThis & { receiptKey?: Promise<{ privateKey: string; publicKey: string }> };


const iso = (d: Date | string) => new Date(d).toISOString();

// ── Who is who on a tender ────────────────────────────────────────────────────────────────

const runs = (u: SessionUser, t: Tender) => !!u.unitCode && ((u.roles.includes("purchaser") && u.unitCode === t.unit) || (u.roles.includes("agency") && u.unitCode === t.agency_code));
/** Regulators of the tender's region (the manifest's CASL rule on EtradingTender). */
const regulates = (ctx: PlatformContext, t: Tender) => abilityOf(ctx).can("read", subject("EtradingTender", { tenantCode: t.tenant_code }));

/** k of n: the tender's own, or 2; never 1, never more than the custodians. */
function thresholdOf(t: Tender): number {
  const n = t.custodians.length;
  const asked = t.config.openingThreshold;
  return Number.isInteger(asked) && asked! >= MIN_THRESHOLD && asked! <= n ? asked! : MIN_THRESHOLD;
}

async function tenderOf(db: Knex | Knex.Transaction, id: string): Promise<Tender> {
  const row = /^[0-9a-f-]{36}$/i.test(id) ? await db<Tender>("etrading_tenders").where({ id }).first() : undefined;
  if (!row || row.status === "draft") throw notFound(TENDER);
  return row;
}

/** The version a request with this Idempotency-Key already made, if it was sent before. */
const madeWithKey = (db: Knex, t: Tender, supplierCode: string, key: string) =>
  db<BidRow>("etrading_bids").where({ tender_id: t.id, supplier_code: supplierCode, idempotency_key: key }).first();

/**
 * Inside a bid's transaction: one supplier's versions one at a time (other suppliers are not held
 * up), then the tender as it stands, still before its deadline.
 */
async function lockBidder(trx: Knex.Transaction, t: Tender, supplierCode: string, now: Date): Promise<Tender> {
  await trx.raw("select pg_advisory_xact_lock(hashtextextended(?, 0))", [`etrading.bid|${t.id}|${supplierCode}`]);
  const row = (await trx<Tender>("etrading_tenders").where({ id: t.id }).forShare().first())!;
  refuseAtDeadline(row, now);
  return row;
}

const deadlineOf = (t: Tender) => new Date(t.bid_deadline);

/** Deadline exclusive (tender.opening.atDeadline): at or after it nothing is received. */
function refuseAtDeadline(t: Tender, now: Date): void {
  if (now < deadlineOf(t)) return;
  throw conflict(
    {
      "zh-CN": `投标截止时间（${iso(t.bid_deadline)}）已到，服务器时间 ${now.toISOString()}：不再接收、修改或撤回投标文件`,
      en: `The bid deadline (${iso(t.bid_deadline)}) has passed by server time ${now.toISOString()}: bids can no longer be submitted, changed or withdrawn`,
    },
    { rule: "tender.opening.atDeadline", deadline: iso(t.bid_deadline), serverTime: now.toISOString() },
  );
}

/**
 * Before the deadline: refused (tender.opening.atDeadline). What would open a bid (a custodian's shares, a
 * bid's files) names tender.sealedUntilOpening instead: nobody opens a bid before the opening.
 */
function refuseBeforeDeadline(t: Tender, now: Date, what: Localized, rule: "tender.opening.atDeadline" | typeof SEALED = "tender.opening.atDeadline"): void {
  if (now >= deadlineOf(t)) return;
  throw conflict(
    { "zh-CN": `${what["zh-CN"]}须待投标截止时间（${iso(t.bid_deadline)}）到后才可进行`, en: `${what.en} only once the bid deadline (${iso(t.bid_deadline)}) has passed` },
    { rule, deadline: iso(t.bid_deadline), serverTime: now.toISOString() },
  );
}

async function registeredSupplier(db: Knex, ctx: PlatformContext, t: Tender): Promise<{ code: string; name: string }> {
  const user = ctx.meta.user!;
  if (!user.roles.includes("supplier") || !user.unitCode) throw forbidden();
  const reg = await db("etrading_registrations").where({ tender_id: t.id, supplier_code: user.unitCode }).first();
  // an invited tender's non-invitee sees no tender at all
  if (!reg && t.config.invitation && t.config.invitation !== "notice") throw notFound(TENDER);
  if (!reg?.registered_at) {
    throw conflict({ "zh-CN": "贵单位未获取该项目的采购文件，不能投标", en: "Your company has not obtained this procurement's documents: it cannot bid" }, { rule: "registered" });
  }
  return { code: reg.supplier_code, name: reg.supplier_name };
}

// ── The receipt key ──────────────────────────────────────────────────────────────────────

/** The platform's receipt key, made once in the shared database (the first node to insert wins). */
function receiptKey(svc: This): Promise<{ privateKey: string; publicKey: string }> {
  svc.receiptKey ??= (async () => {
    const privateKey = newSigningKey();
    await svc.db("etrading_receipt_keys").insert({ id: "current", private_key: privateKey, public_key: publicKeyOf(privateKey), created_at: new Date() }).onConflict("id").ignore();
    const row = await svc.db("etrading_receipt_keys").where({ id: "current" }).first();
    return { privateKey: row.private_key, publicKey: row.public_key };
  })().catch((err) => {
    svc.receiptKey = undefined;
    throw err;
  });
  return svc.receiptKey;
}

// ── Checking a sealed bid ────────────────────────────────────────────────────────────────

const SEAL_PROBLEM: Record<SealError["reason"], [string, string]> = {
  malformed: ["格式不正确", "is not well formed"],
  "hash-mismatch": ["与密文的 SHA-256 摘要不一致：密文在加密后被改动", "does not match the SHA-256 of the ciphertext: the ciphertext was changed after sealing"],
  "bad-signature": ["签名无效", "signature is not valid"],
  "not-enough-shares": ["密钥份额不足", "not enough key shares"],
  "bad-share": ["密钥份额不正确", "key share is wrong"],
  "decryption-failed": ["无法解密", "cannot be decrypted"],
};

const sealProblem = (path: string, rule: string, reason: SealError["reason"]) =>
  fieldError(`/${path.replace(/\[(\d+)\]/g, "/$1").replace(/\./g, "/")}`, rule, `投标文件的 ${path || "内容"}${SEAL_PROBLEM[reason][0]}`, `The bid's ${path || "content"} ${SEAL_PROBLEM[reason][1]}`);

const BAD_BID: Localized = { "zh-CN": "投标文件未通过检查，未被接收", en: "The bid failed its checks and was not received" };

/** Everything the server can check of a sealed bid without opening it; refuses with the field at fault. */
async function checkBid(ctx: PlatformContext, svc: This, t: Tender, supplierCode: string, bid: SealedBid, keys: Map<string, string>): Promise<Buffer> {
  let ciphertext: Uint8Array;
  try {
    ciphertext = checkSealed(bid);
  } catch (err) {
    if (!(err instanceof SealError)) throw err;
    throw validationFailed([sealProblem(err.path, err.reason === "hash-mismatch" ? "tampered" : "sealed-bid", err.reason)], BAD_BID);
  }
  const problems = [];
  if (bid.tenderId !== t.id) problems.push(fieldError("/tenderId", "sealed-bid", "投标文件是为另一个采购项目加密的", "The bid was sealed for another procurement"));
  if (bid.threshold !== thresholdOf(t)) {
    problems.push(fieldError("/threshold", "sealed-bid", `开标须 ${thresholdOf(t)} 名开标人共同解密，投标文件的门限为 ${bid.threshold}`, `The opening needs ${thresholdOf(t)} custodians together; the bid's threshold is ${bid.threshold}`));
  }
  const to = bid.shares.map((s) => s.to).sort();
  if (to.join("\n") !== [...keys.keys()].sort().join("\n")) {
    problems.push(fieldError("/shares", "sealed-bid", "密钥份额须分别加密给本项目的每一名开标人", "The key must be shared to each of this procurement's custodians, one share each"));
  }
  if (bid.bidderKey && !t.config.bidderKey) problems.push(fieldError("/bidderKey", "sealed-bid", "本项目不采用投标人自行解密", "This procurement does not use bidder decryption"));
  if (!bid.bidderKey && t.config.bidderKey) problems.push(fieldError("/bidderKey", "required", "本项目要求投标人用自己的密钥同时加密", "This procurement requires the key sealed to the bidder's own key too"));
  if (problems.length) throw validationFailed(problems, BAD_BID);

  // a software key's signature, checked by node:crypto (./ed25519.ts: the browser's @noble bytes, faster)
  let valid = bid.signature.provider === SOFTWARE_PROVIDER ? verifyEd25519(bid.signature.signature, signedContent(bid), bid.signature.publicKey) : undefined;
  if (valid === undefined) {
    // another provider's signature (CA certificate, UKey): whoever provides it says
    const message = toBase64(signedContent(bid));
    for (const p of svc.extensions.providers(ctx, signingProviders)) {
      const r = await p.call.verify({ ...bid.signature, message, supplierCode });
      if (r.handled) {
        valid = r.valid;
        break;
      }
    }
    if (valid === undefined) {
      throw validationFailed([fieldError("/signature/provider", "signing-provider", `平台不支持签名方式 ${bid.signature.provider}`, `The platform has no signing provider ${bid.signature.provider}`)], BAD_BID);
    }
  }
  if (!valid) throw validationFailed([sealProblem("signature", "signature", "bad-signature")], BAD_BID);
  return Buffer.from(ciphertext);
}

async function custodianKeys(db: Knex | Knex.Transaction, t: Tender): Promise<Map<string, string>> {
  const rows = await db("etrading_custodian_keys").where({ tender_id: t.id });
  return new Map(rows.map((r) => [r.custodian as string, r.public_key as string]));
}

function keysReady(t: Tender, keys: Map<string, string>): void {
  const missing = custodianIds(t).filter((c) => !keys.has(c));
  if (t.custodians.length < MIN_THRESHOLD || missing.length) {
    throw conflict(
      { "zh-CN": "开标人尚未全部生成密钥，暂不能加密投标文件", en: "Not every custodian has made its key yet: bids cannot be sealed" },
      { rule: "custodian-keys", missing },
    );
  }
}

// ── Reading bids ─────────────────────────────────────────────────────────────────────────

/** Each supplier's last version: the one that counts (tender.bidModifyUntilDeadline). */
function lastVersions(db: Knex | Knex.Transaction, tenderId: string) {
  return db("etrading_bids as b")
    .where("b.tender_id", tenderId)
    .whereNotExists(function () {
      this.select(db.raw("1")).from("etrading_bids as later").whereRaw("later.tender_id = b.tender_id and later.supplier_code = b.supplier_code and later.version > b.version");
    });
}

const receiptView = (b: BidRow, current: number | undefined) => ({ ...b.receipt, current: b.version === current });

// ── Opening ──────────────────────────────────────────────────────────────────────────────

type Outcome = "opened" | "revoked" | "withdrawn" | "above-max-price" | "unconfirmed";

/** What opening one bid finds with the shares handed in (ebid.decryptionFailure), or undefined for too few shares. */
async function openOne(t: Tender, b: BidRow, shares: string[], bidderDataKey?: string): Promise<{ outcome: Outcome; price: string | null; tampered: boolean; detail: Record<string, unknown> } | undefined> {
  const sealed = { ...stored(b) };
  const tampered = (() => {
    try {
      checkSealed(sealed);
      return b.hash !== b.receipt.hash;
    } catch {
      return true;
    }
  })();
  // A corrigendum came after this version and the bidder did not send again: the bid answers
  // documents that no longer stand (the re-confirmation, as ProZorro invalidates such bids).
  if (!tampered && b.docs_version < t.docs_version) {
    return { outcome: "unconfirmed", price: null, tampered, detail: { rule: "corrigendum-reconfirmation", docsVersion: b.docs_version, tenderDocsVersion: t.docs_version } };
  }
  // The platform's copy is not what it received: nobody can blame the bidder.
  if (tampered) return { outcome: "withdrawn", price: null, tampered, detail: { rule: "ebid.decryptionFailure", reason: "hash-differs-from-receipt" } };
  if (!bidderDataKey && shares.length < (b.threshold ?? MIN_THRESHOLD)) return undefined;
  try {
    // the bidder's own decryption in the hall (tenant option config.bidderKey), else the custodians' k shares
    const pkg = bidderDataKey ? openWithDataKey(sealed, bidderDataKey) : await openBid(sealed, shares.slice(0, b.threshold ?? MIN_THRESHOLD));
    const price = typeof pkg.form.price === "string" && isMoney(pkg.form.price) ? toMoney(pkg.form.price) : null;
    // a package without a readable price is the bidder's own making
    if (price === null) return { outcome: "revoked", price: null, tampered, detail: { rule: "ebid.decryptionFailure", reason: "no-price" } };
    if (compareMoney(price, t.max_price) > 0) return { outcome: "above-max-price", price, tampered, detail: { rule: "max-price", maxPrice: toMoney(t.max_price) } };
    // the opened files' digests, kept for the evaluation's collusion check (identical documents, eval.collusionIndicators)
    const fileHashes = (pkg.files ?? []).map((f) => createHash("sha256").update(Buffer.from(f.content, "base64")).digest("hex"));
    return { outcome: "opened", price, tampered, detail: { fileHashes } };
  } catch (err) {
    if (!(err instanceof SealError)) throw err;
    // The shares matched the digests the bidder signed, so the key is the one it sealed: a package
    // that still does not decrypt is the bidder's fault.
    return { outcome: "revoked", price: null, tampered, detail: { rule: "ebid.decryptionFailure", reason: err.reason } };
  }
}

function stored(b: BidRow): SealedBid {
  return {
    format: "gd-sealed-bid/1",
    algorithm: b.algorithm as SealedBid["algorithm"],
    tenderId: b.tender_id,
    nonce: b.nonce!,
    ciphertext: toBase64(new Uint8Array(b.ciphertext!)),
    hash: b.hash,
    threshold: b.threshold!,
    shares: b.shares!,
    bidderKey: b.bidder_key ?? undefined,
    files: b.files ?? undefined,
    signature: b.signature!,
  };
}

const OUTCOME_TEXT: Record<Outcome, Localized> = {
  opened: { "zh-CN": "已解密", en: "opened" },
  revoked: { "zh-CN": "因投标人原因未解密，视为撤销", en: "not decrypted through the bidder's fault: deemed revoked" },
  withdrawn: { "zh-CN": "因投标人以外原因未解密，视为撤回", en: "not decrypted through no fault of the bidder: deemed withdrawn" },
  "above-max-price": { "zh-CN": "报价超过最高限价", en: "price above the maximum price" },
  unconfirmed: { "zh-CN": "采购文件更正后未重新确认，投标无效", en: "not confirmed again after the corrigendum: invalid" },
};

async function openingRecord(db: Knex, t: Tender, evidence = false) {
  const bids = await lastVersions(db, t.id).where("b.action", "submitted").select("b.*");
  const outcomes = new Map((await db("etrading_openings").where({ tender_id: t.id })).map((o) => [o.bid_id, o]));
  const names = new Map((await db("etrading_registrations").where({ tender_id: t.id })).map((r) => [r.supplier_code, r.supplier_name]));
  const answers = new Map((await db("etrading_opening_confirmations").where({ tender_id: t.id })).map((c) => [c.supplier_code, c]));
  const items = bids
    .sort((a, b) => (a.received_at < b.received_at ? -1 : 1))
    .map((b) => {
      const o = outcomes.get(b.id);
      return {
        bidId: b.id,
        supplierCode: b.supplier_code,
        supplierName: names.get(b.supplier_code) ?? b.supplier_code,
        version: b.version,
        hash: b.hash,
        receivedAt: iso(b.received_at),
        outcome: (o?.outcome ?? "pending") as Outcome | "pending",
        outcomeText: o ? OUTCOME_TEXT[o.outcome as Outcome] : { "zh-CN": "待解密", en: "awaiting decryption" },
        price: o?.price !== null && o?.price !== undefined ? toMoney(o.price) : null,
        tampered: !!o?.tampered,
        // for those who run or oversee the tender only: the opened files' digests (identical documents between bidders)
        ...(evidence ? { fileHashes: ((o?.detail as { fileHashes?: string[] } | undefined)?.fileHashes ?? []) } : {}),
        // the bidder's answer to the record: confirmed, an objection, or none yet (tender.opening.record)
        confirmation: answers.has(b.supplier_code)
          ? { confirmed: answers.get(b.supplier_code).confirmed as boolean, objection: (answers.get(b.supplier_code).objection as string | null) ?? null, at: iso(answers.get(b.supplier_code).answered_at) }
          : null,
      };
    });
  const valid = items.filter((i) => i.outcome === "opened").length;
  const minBidders = t.config.minBidders?.value ?? (BID_RULES["tender.minBidders"].value as number);
  const minBiddersRule = t.config.minBidders?.rule ?? "tender.minBidders";
  return {
    tenderId: t.id,
    deadline: iso(t.bid_deadline),
    maxPrice: toMoney(t.max_price),
    // closed by the agency, or every counted bid has its outcome: nothing more can be handed in
    closed: !!(await db("etrading_opening_closures").where({ tender_id: t.id }).first()) || items.every((i) => i.outcome !== "pending"),
    bids: items,
    validBids: valid,
    minBidders,
    minBiddersRule,
    // fewer valid bids than the procedure's minimum: the tender fails unless another method is approved
    belowMinimum: valid < minBidders,
  };
}

const RECORD_NAME: Localized = { "zh-CN": "开标记录", en: "bid opening record" };

/** Who held each place that opened bids: the custodians' roles as the tender names them, or the bidders themselves. */
const PLACE_TEXT: Record<string, Localized> = {
  agency: { "zh-CN": "采购代理机构", en: "procurement agency" },
  purchaser: { "zh-CN": "采购人", en: "purchaser" },
  supervisor: { "zh-CN": "监督人（财政部门）", en: "supervisor (finance bureau)" },
  [BIDDER_KEY]: { "zh-CN": "投标人自行解密", en: "the bidders themselves" },
};

/**
 * The opening record as printed: the tender, when it opened, each bid as read out, who decrypted,
 * and what went otherwise (bids not opened, changed ciphertexts, objections). No budget code and no
 * file digests: what every party of the opening may read.
 */
async function printedRecord(db: Knex, t: Tender) {
  const row = (await db("etrading_tenders").where({ id: t.id }).first("title", "unit_name", "method", "opening_at")) as { title: string; unit_name: string; method: string; opening_at: Date };
  const record = await openingRecord(db, t);
  const closure = await db("etrading_opening_closures").where({ tender_id: t.id }).first("closed_at");
  const lastDecided = (await db("etrading_openings").where({ tender_id: t.id }).max({ at: "decided_at" }).first()) as { at: Date | null } | undefined;
  const places = (await db("etrading_opening_shares as s").join("etrading_bids as b", "b.id", "s.bid_id").where("b.tender_id", t.id)
    .groupBy("s.custodian").select("s.custodian").min({ first: "s.submitted_at" }).orderBy("first")) as Array<{ custodian: string; first: Date }>;
  const bidders = record.bids.map((b) => ({
    supplierName: b.supplierName,
    supplierCode: b.supplierCode,
    receivedAt: b.receivedAt,
    hash: b.hash,
    outcome: b.outcome,
    outcomeText: b.outcomeText,
    price: b.price,
    tampered: b.tampered,
    confirmation: b.confirmation,
  }));
  return {
    kind: "opening-record",
    tenderId: t.id,
    title: row.title,
    method: row.method,
    methodTitle: PROCEDURES[row.method as Method]?.title ?? { "zh-CN": row.method, en: row.method },
    purchaser: row.unit_name,
    tenantCode: t.tenant_code,
    maxPrice: record.maxPrice,
    openingAt: iso(row.opening_at),
    decryptionEndedAt: closure ? iso(closure.closed_at) : lastDecided?.at ? iso(lastDecided.at) : null,
    bidders,
    decryptedBy: places.map((p) => ({ place: p.custodian, placeText: PLACE_TEXT[p.custodian] ?? { "zh-CN": p.custodian, en: p.custodian }, firstShareAt: iso(p.first) })),
    exceptions: bidders
      .filter((b) => b.outcome !== "opened" || b.tampered || (b.confirmation && !b.confirmation.confirmed))
      .map((b) => ({ supplierName: b.supplierName, outcome: b.outcome, outcomeText: b.outcomeText, tampered: b.tampered, objection: b.confirmation?.objection ?? null })),
    validBids: record.validBids,
    minBidders: record.minBidders,
    minBiddersRule: t.config.minBidders?.rule ?? "tender.minBidders",
    belowMinimum: record.belowMinimum,
  };
}

/** The window was closed, or every counted bid has its outcome: the decryption is over. */
async function allDecided(db: Knex, tenderId: string): Promise<boolean> {
  if (await db("etrading_opening_closures").where({ tender_id: tenderId }).first()) return true;
  const left = await lastVersions(db, tenderId).where("b.action", "submitted")
    .whereNotExists(function () { this.select(db.raw("1")).from("etrading_openings as o").whereRaw("o.bid_id = b.id"); }).first("b.id");
  return !left;
}

async function decide(svc: This, ctx: PlatformContext, t: Tender, now: Date, bidIds?: string[]): Promise<number> {
  const bids: BidRow[] = await lastVersions(svc.db, t.id).where("b.action", "submitted").modify((q) => (bidIds ? q.whereIn("b.id", bidIds) : q)).select("b.*");
  const decided = new Set((await svc.db("etrading_openings").where({ tender_id: t.id }).select("bid_id")).map((r) => r.bid_id));
  let opened = 0;
  for (const b of bids.filter((x) => !decided.has(x.id))) {
    const handed = await svc.db("etrading_opening_shares").where({ bid_id: b.id }).orderBy("custodian");
    const shares = handed.filter((s) => s.custodian !== BIDDER_KEY).map((s) => s.share as string);
    const found = await openOne(t, b, shares, handed.find((s) => s.custodian === BIDDER_KEY)?.share);
    if (!found) continue;
    const fresh = await svc.db.transaction(async (trx) => {
      const inserted = await trx("etrading_openings")
        .insert({ bid_id: b.id, tender_id: t.id, outcome: found.outcome, price: found.price, tampered: found.tampered, detail: JSON.stringify(found.detail), decided_at: now })
        .onConflict("bid_id").ignore().returning("bid_id");
      if (!inserted.length) return false;
      opened++;
      await writeAudit(trx, { actor: actorOf(ctx.meta.user!), tenantCode: t.tenant_code, action: "etrading.bid.open", object: b.id, after: { outcome: found.outcome, price: found.price, tampered: found.tampered, hash: b.hash } });
      return true;
    });
    // the opening hall hears of each bid as it is decided; a changed ciphertext is flagged there
    if (fresh) await hallNews(svc.broker, svc.db, t.id, found.tampered ? "tampered" : "opened", { bidId: b.id, supplierCode: b.supplier_code, outcome: found.outcome, price: found.price, tampered: found.tampered });
  }
  return opened;
}

/**
 * Ends the decryption, once (a second call changes nothing and tells nobody again): a bid still
 * sealed is deemed withdrawn, or revoked when opening it was the bidder's to do
 * (ebid.decryptionFailure), and every bidder is asked to confirm the record. Called by the agency's
 * `close` and by the end of the hall's window (services/hall.ts). True when this call closed it.
 */
export async function closeOpening(db: Knex, t: Tender, now: Date, actor: Record<string, unknown>, accountId: string, reason: "custodians-did-not-decrypt" | "bidder-did-not-decrypt"): Promise<boolean> {
  // the tender's own status moves by its workflow (record-opening), not here
  return db.transaction(async (trx) => {
    const first = await trx("etrading_opening_closures").insert({ tender_id: t.id, account_id: accountId, closed_at: now }).onConflict("tender_id").ignore().returning("tender_id");
    if (!first.length) return false;
    const left: BidRow[] = await lastVersions(trx, t.id).where("b.action", "submitted")
      .whereNotExists(function () { this.select(trx.raw("1")).from("etrading_openings as o").whereRaw("o.bid_id = b.id"); }).select("b.id", "b.hash");
    if (left.length) {
      await trx("etrading_openings").insert(left.map((b) => ({ bid_id: b.id, tender_id: t.id, outcome: reason === "bidder-did-not-decrypt" ? "revoked" : "withdrawn", tampered: false, detail: JSON.stringify({ rule: "ebid.decryptionFailure", reason }), decided_at: now })));
    }
    // the record goes to every bidder, live in its bell, to confirm or object (tender.opening.record)
    const bidders: Array<{ supplier_code: string }> = await lastVersions(trx, t.id).where("b.action", "submitted").select("b.supplier_code");
    for (const b of bidders) {
      await enqueue(trx, {
        event: "notifications.requested",
        key: t.id,
        payload: {
          tenantCode: t.tenant_code, owner: { unit: b.supplier_code, account: null }, link: `/etrading/tenders/${t.id}`, kind: "etrading.opening",
          title: { "zh-CN": "开标记录已生成，请确认或提出异议", en: "The opening record is ready: confirm it or object" },
        },
      });
    }
    await writeAudit(trx, { actor, tenantCode: t.tenant_code, action: "etrading.opening.close", object: t.id, after: { [reason === "bidder-did-not-decrypt" ? "revoked" : "withdrawn"]: left.map((b) => b.id) } });
    return true;
  });
}

// ── A bid's large files ──────────────────────────────────────────────────────────────────

/** Under which key this service holds a tender's bid files (core/files/uploads.ts, holds). */
const filesKey = (t: Pick<Tender, "id">) => `etrading.tender:${t.id}`;

/**
 * The large files a bid names must be finished uploads of the bidder's own, with the hashes it
 * signed; then they are kept past the clean-up of unattached uploads, for the opening and after.
 */
async function holdBidFiles(ctx: PlatformContext, t: Tender, bid: SealedBid): Promise<void> {
  if (!bid.files?.length) return;
  await ctx.call("files.uploads.hold", { key: filesKey(t), pointer: "/bid/files", files: bid.files.map((f) => ({ id: f.fileId, sha256: f.sha256 })) });
}

const NOT_OPENED: Localized = { "zh-CN": "该投标文件尚未解密，其附件不能打开", en: "This bid has not been opened: its files cannot be opened either" };

/**
 * A large file of an opened bid, decrypted with the shares that opened the bid: for those who may
 * read the opening record, after the deadline, once the bid's outcome is "opened"; never before.
 */
async function openBidFile(svc: This, ctx: PlatformContext<{ id: string; bidId: string; n: string }>): Promise<Buffer> {
  const user = ctx.meta.user!;
  const t = await tenderOf(svc.db, ctx.params.id);
  const b = /^[0-9a-f-]{36}$/i.test(ctx.params.bidId) ? await svc.db<BidRow>("etrading_bids").where({ id: ctx.params.bidId, tender_id: t.id }).first() : undefined;
  const own = !!b && !!user.unitCode && user.roles.includes("supplier") && b.supplier_code === user.unitCode;
  if (!b || (!own && !runs(user, t) && !regulates(ctx, t) && !custodianIds(t).some((c) => holds(user, t, c)))) throw notFound({ "zh-CN": "投标文件", en: "bid" });
  const file = b.files?.[Number(ctx.params.n)];
  if (!file || !/^\d+$/.test(ctx.params.n)) throw notFound({ "zh-CN": "投标附件", en: "bid file" });
  refuseBeforeDeadline(t, platformNow(), NOT_OPENED, SEALED);
  const opening = await svc.db("etrading_openings").where({ bid_id: b.id }).first();
  if (opening?.outcome !== "opened") throw conflict(NOT_OPENED, { rule: "bid-not-opened", outcome: opening?.outcome ?? "pending" });
  // the custodians' shares that opened the bid (a bidder's own data key, the hall's option, is not a share)
  const shares = (await svc.db("etrading_opening_shares").where({ bid_id: b.id }).whereNot({ custodian: "bidder" }).orderBy("custodian")).map((s) => s.share as string);
  const pieces: Buffer[] = [];
  for await (const piece of (await ctx.call("files.uploads.held", { key: filesKey(t), id: file.fileId })) as AsyncIterable<Buffer>) pieces.push(piece);
  let plain: Uint8Array;
  try {
    plain = await openFile({ tenderId: t.id, threshold: b.threshold ?? MIN_THRESHOLD }, shares.slice(0, b.threshold ?? MIN_THRESHOLD), file, Buffer.concat(pieces));
  } catch (err) {
    if (!(err instanceof SealError)) throw err;
    throw conflict(
      { "zh-CN": `投标附件「${file.name}」${SEAL_PROBLEM[err.reason][0]}`, en: `The bid file "${file.name}" ${SEAL_PROBLEM[err.reason][1]}` },
      { rule: "ebid.decryptionFailure", reason: err.reason, file: file.name },
    );
  }
  ctx.meta.$responseType = "application/octet-stream";
  ctx.meta.$responseHeaders = { "Content-Disposition": `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`, "Cache-Control": "private, no-store" };
  return Buffer.from(plain);
}

// ── The service ──────────────────────────────────────────────────────────────────────────

export const bidsService: PlatformServiceSchema = {
  name: "etrading.bids",
  actions: {
    /** GET /api/etrading/receipt-key: the public key receipts are signed with, to check one in the browser. */
    receiptKey: {
      kind: "read",
      permission: "public",
      rest: "GET /receipt-key",
      async handler(this: This) {
        const { publicKey } = await receiptKey(this);
        return { algorithm: "Ed25519", publicKey, keyId: receiptKeyId(publicKey) };
      },
    },

    /** PUT /api/etrading/tenders/:id/custodians/:custodian/key: a custodian's public key, made in its browser. */
    custodianKey: {
      kind: "continue",
      permission: "authenticated",
      rest: "PUT /tenders/:id/custodians/:custodian/key",
      gate: tenderGate,
      params: { id: "string", custodian: "string", publicKey: { type: "any", optional: true } },
      async handler(this: This, ctx: PlatformContext<{ id: string; custodian: string; publicKey?: unknown }>) {
        const user = ctx.meta.user!;
        const t = await tenderOf(this.db, ctx.params.id);
        if (!holds(user, t, ctx.params.custodian)) throw forbidden();
        const publicKey = ctx.params.publicKey;
        if (typeof publicKey !== "string" || !/^[0-9a-f]{64}$/.test(publicKey)) {
          throw validationFailed([fieldError("/publicKey", "format", "公钥应为 64 位十六进制（X25519）", "The public key must be 64 hex digits (X25519)")]);
        }
        const now = platformNow();
        refuseAtDeadline(t, now);
        return this.db.transaction(async (trx) => {
          await trx("etrading_tenders").where({ id: t.id }).forShare().first();
          const existing = await trx("etrading_custodian_keys").where({ tender_id: t.id, custodian: ctx.params.custodian }).forUpdate().first();
          if (existing?.public_key === publicKey) return { custodian: existing.custodian, publicKey, registeredAt: iso(existing.registered_at) };
          // a bid already sealed to the old key could no longer be opened by this custodian
          const sealed = await trx("etrading_bids").where({ tender_id: t.id }).first();
          if (existing && sealed) {
            throw conflict({ "zh-CN": "已有投标文件用原公钥加密，不能更换", en: "Bids are already sealed to the current key: it cannot be replaced" }, { rule: "custodian-keys" });
          }
          await trx("etrading_custodian_keys")
            .insert({ tender_id: t.id, custodian: ctx.params.custodian, account_id: user.id, public_key: publicKey, registered_at: now })
            .onConflict(["tender_id", "custodian"]).merge();
          await writeAudit(trx, { actor: actorOf(user), tenantCode: t.tenant_code, action: "etrading.custodian.key", object: `${t.id}/${ctx.params.custodian}`, after: { publicKey } });
          return { custodian: ctx.params.custodian, publicKey, registeredAt: now.toISOString() };
        });
      },
    },

    /** GET /api/etrading/tenders/:id/sealing: what a bidder's browser needs to seal a bid, and the server's time. */
    sealing: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /tenders/:id/sealing",
      gate: tenderGate,
      params: { id: "string" },
      async handler(this: This, ctx: PlatformContext<{ id: string }>) {
        const t = await tenderOf(this.db, ctx.params.id);
        await registeredSupplier(this.db, ctx, t);
        const keys = await custodianKeys(this.db, t);
        keysReady(t, keys);
        const { publicKey } = await receiptKey(this);
        return {
          tenderId: t.id,
          algorithm: "AES-256-GCM",
          custodians: custodianIds(t).map((id) => ({ id, publicKey: keys.get(id)! })),
          threshold: thresholdOf(t),
          bidderKey: !!t.config.bidderKey,
          maxPrice: toMoney(t.max_price),
          docsVersion: t.docs_version,
          deadline: iso(t.bid_deadline),
          serverTime: platformNow().toISOString(),
          receiptKey: publicKey,
        };
      },
    },

    /**
     * POST /api/etrading/tenders/:id/bids: a sealed bid. Until the deadline a supplier may send new
     * versions; the last counts. A retry with the same Idempotency-Key answers the first receipt.
     */
    submit: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /tenders/:id/bids",
      // the key is kept with the bid itself, in its transaction (madeWithKey)
      idempotency: "own",
      gate: tenderGate,
      params: { id: "string", bid: { type: "any", optional: true } },
      async handler(this: This, ctx: PlatformContext<{ id: string; bid?: unknown }>) {
        // the arrival by the platform's clock (never the browser's) is what the deadline is compared with, and what the receipt says
        const now = platformNow();
        const user = ctx.meta.user!;
        const t = await tenderOf(this.db, ctx.params.id);
        const supplier = await registeredSupplier(this.db, ctx, t);
        const key = idempotencyKeyOf(ctx.meta.idempotencyKey);
        if (key) {
          const first = await madeWithKey(this.db, t, supplier.code, key);
          if (first) return retried(first, ctx);
        }
        refuseAtDeadline(t, now);
        if (t.status !== "published") throw conflict({ "zh-CN": "该采购项目当前不接收投标", en: "This procurement is not receiving bids now" }, { rule: "status", status: t.status });
        const bid = ctx.params.bid as SealedBid;
        if (bid === null || typeof bid !== "object") throw validationFailed([fieldError("/bid", "required", "请提交加密后的投标文件", "Send the sealed bid")], BAD_BID);
        const keys = await custodianKeys(this.db, t);
        keysReady(t, keys);
        const ciphertext = await checkBid(ctx, this, t, supplier.code, bid, keys);
        await holdBidFiles(ctx, t, bid);
        const { privateKey, publicKey } = await receiptKey(this);

        return this.db.transaction(async (trx) => {
          const row = await lockBidder(trx, t, supplier.code, now);
          if (key) {
            const first = await madeWithKey(trx, t, supplier.code, key);
            if (first) return retried(first, ctx);
          }
          const last = await trx("etrading_bids").where({ tender_id: t.id, supplier_code: supplier.code }).max<{ v: number | null }[]>("version as v");
          const version = (last[0]?.v ?? 0) + 1;
          const id = randomUUID();
          const receipt = signReceiptWith({ bidId: id, tenderId: t.id, version, action: "submitted", hash: bid.hash, receivedAt: now.toISOString() }, publicKey, (m) => signEd25519(m, privateKey));
          await trx("etrading_bids").insert({
            id, tender_id: t.id, supplier_code: supplier.code, version, action: "submitted", idempotency_key: key ?? null, docs_version: row.docs_version,
            algorithm: bid.algorithm, nonce: bid.nonce, ciphertext, hash: bid.hash, threshold: bid.threshold, shares: JSON.stringify(bid.shares),
            bidder_key: bid.bidderKey ? JSON.stringify(bid.bidderKey) : null, files: bid.files?.length ? JSON.stringify(bid.files) : null, signature: JSON.stringify(bid.signature), receipt: JSON.stringify(receipt), received_at: now,
          });
          // the hash goes into the audit chain: a ciphertext changed later no longer matches it
          await writeAudit(trx, { actor: actorOf(user), tenantCode: t.tenant_code, action: "etrading.bid.submit", object: id, after: { tenderId: t.id, version, hash: bid.hash, receivedAt: now.toISOString(), signer: bid.signature.publicKey } });
          ctx.meta.$statusCode = 201;
          return { receipt, rule: "tender.bidModifyUntilDeadline" };
        });
      },
    },

    /** DELETE /api/etrading/tenders/:id/bids/mine: withdraw the bid before the deadline (a version with no package). */
    withdraw: {
      kind: "continue",
      permission: "authenticated",
      rest: "DELETE /tenders/:id/bids/mine",
      // the key is kept with the bid itself, in its transaction (madeWithKey)
      idempotency: "own",
      gate: tenderGate,
      params: { id: "string" },
      async handler(this: This, ctx: PlatformContext<{ id: string }>) {
        const now = platformNow();
        const user = ctx.meta.user!;
        const t = await tenderOf(this.db, ctx.params.id);
        const supplier = await registeredSupplier(this.db, ctx, t);
        const key = idempotencyKeyOf(ctx.meta.idempotencyKey);
        if (key) {
          const first = await madeWithKey(this.db, t, supplier.code, key);
          if (first) return retried(first, ctx);
        }
        refuseAtDeadline(t, now);
        const { privateKey, publicKey } = await receiptKey(this);
        return this.db.transaction(async (trx) => {
          const row = await lockBidder(trx, t, supplier.code, now);
          const last = await trx<BidRow>("etrading_bids").where({ tender_id: t.id, supplier_code: supplier.code }).orderBy("version", "desc").first();
          if (!last || last.action !== "submitted") throw conflict({ "zh-CN": "贵单位在本项目没有可撤回的投标文件", en: "Your company has no bid on this procurement to withdraw" }, { rule: "no-bid" });
          const id = randomUUID();
          const version = last.version + 1;
          const receipt = signReceiptWith({ bidId: id, tenderId: t.id, version, action: "withdrawn", hash: last.hash, receivedAt: now.toISOString() }, publicKey, (m) => signEd25519(m, privateKey));
          await trx("etrading_bids").insert({ id, tender_id: t.id, supplier_code: supplier.code, version, action: "withdrawn", idempotency_key: key ?? null, docs_version: row.docs_version, hash: last.hash, receipt: JSON.stringify(receipt), received_at: now });
          await writeAudit(trx, { actor: actorOf(user), tenantCode: t.tenant_code, action: "etrading.bid.withdraw", object: id, after: { tenderId: t.id, version, hash: last.hash, receivedAt: now.toISOString() } });
          // its deposit goes back within deposit.refund.onWithdrawal (finance, if installed, hears it)
          const clock: RefundClockEvent = { tenderId: t.id, rule: "deposit.refund.onWithdrawal", from: localDate(now), supplierCodes: [supplier.code] };
          await enqueue(trx, { event: "finance.refundClock", key: `etrading:${t.id}`, payload: clock });
          return { receipt, rule: "tender.bidModifyUntilDeadline" };
        });
      },
    },

    /** GET /api/etrading/tenders/:id/bids/:bidId/files/:n: a large file of an opened bid, decrypted (openBidFile). */
    bidFile: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /tenders/:id/bids/:bidId/files/:n",
      gate: tenderGate,
      params: { id: "string", bidId: "string", n: "string" },
      handler(this: This, ctx: PlatformContext<{ id: string; bidId: string; n: string }>) {
        return openBidFile(this, ctx);
      },
    },

    /** GET /api/etrading/tenders/:id/bids/mine: the supplier's own versions and receipts; nobody else's. */
    mine: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /tenders/:id/bids/mine",
      gate: tenderGate,
      params: { id: "string" },
      async handler(this: This, ctx: PlatformContext<{ id: string }>) {
        const t = await tenderOf(this.db, ctx.params.id);
        const supplier = await registeredSupplier(this.db, ctx, t);
        const rows = await this.db<BidRow>("etrading_bids").where({ tender_id: t.id, supplier_code: supplier.code }).orderBy("version", "desc");
        const current = rows[0];
        const opening = current ? await this.db("etrading_openings").where({ bid_id: current.id }).first() : undefined;
        return {
          deadline: iso(t.bid_deadline),
          serverTime: platformNow().toISOString(),
          current: current
            ? {
                version: current.version,
                action: current.action,
                hash: current.hash,
                receivedAt: iso(current.received_at),
                receipt: current.receipt,
                // a corrigendum came after this version: the supplier re-confirms by sending again
                reconfirm: current.action === "submitted" && current.docs_version < t.docs_version,
                outcome: opening?.outcome ?? null,
              }
            : null,
          receipts: rows.map((r) => receiptView(r, current?.version)),
        };
      },
    },

    /** GET /api/etrading/tenders/:id/bids: who bid, with hashes and times: after the deadline only (tender.bidderListConfidential). */
    list: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /tenders/:id/bids",
      gate: tenderGate,
      params: { id: "string" },
      async handler(this: This, ctx: PlatformContext<{ id: string }>) {
        const user = ctx.meta.user!;
        const t = await tenderOf(this.db, ctx.params.id);
        if (!runs(user, t) && !regulates(ctx, t) && !custodianIds(t).some((c) => holds(user, t, c))) throw forbidden();
        const now = platformNow();
        if (now < deadlineOf(t)) {
          throw conflict(
            { "zh-CN": `投标截止时间（${iso(t.bid_deadline)}）前不得透露投标人的名称和数量`, en: `Who bid, and how many, stays secret until the deadline (${iso(t.bid_deadline)})` },
            { rule: "tender.bidderListConfidential", until: iso(t.bid_deadline) },
          );
        }
        return openingRecord(this.db, t);
      },
    },

    /**
     * GET /api/etrading/tenders/:id/opening/custodians/:custodian/shares: after the deadline, each
     * counted bid's share sealed to this custodian, for its browser to unwrap with its private key.
     */
    sharesToOpen: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /tenders/:id/opening/custodians/:custodian/shares",
      gate: tenderGate,
      params: { id: "string", custodian: "string" },
      async handler(this: This, ctx: PlatformContext<{ id: string; custodian: string }>) {
        const t = await tenderOf(this.db, ctx.params.id);
        if (!holds(ctx.meta.user!, t, ctx.params.custodian)) throw forbidden();
        refuseBeforeDeadline(t, platformNow(), { "zh-CN": "解密", en: "Decryption is possible" }, SEALED);
        const bids: BidRow[] = await lastVersions(this.db, t.id).where("b.action", "submitted").select("b.id", "b.tender_id", "b.shares", "b.hash");
        const handed = new Set((await this.db("etrading_opening_shares").whereIn("bid_id", bids.map((b) => b.id)).where({ custodian: ctx.params.custodian })).map((s) => s.bid_id));
        return {
          tenderId: t.id,
          custodian: ctx.params.custodian,
          bids: bids.map((b) => ({ bidId: b.id, tenderId: b.tender_id, hash: b.hash, handedIn: handed.has(b.id), shares: (b.shares ?? []).filter((s) => s.to === ctx.params.custodian) })),
        };
      },
    },

    /**
     * POST /api/etrading/tenders/:id/opening/shares: a custodian hands in the shares it unwrapped;
     * each is checked against the digest the bidder signed, and a bid with enough shares opens.
     */
    handIn: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /tenders/:id/opening/shares",
      gate: tenderGate,
      params: { id: "string", custodian: { type: "any", optional: true }, shares: { type: "any", optional: true } },
      async handler(this: This, ctx: PlatformContext<{ id: string; custodian?: unknown; shares?: unknown }>) {
        const t = await tenderOf(this.db, ctx.params.id);
        const custodian = typeof ctx.params.custodian === "string" ? ctx.params.custodian : "";
        if (!holds(ctx.meta.user!, t, custodian)) throw forbidden();
        const now = platformNow();
        refuseBeforeDeadline(t, now, { "zh-CN": "提交解密份额", en: "Key shares can be handed in" }, SEALED);
        if (await allDecided(this.db, t.id)) throw conflict({ "zh-CN": "开标解密已结束", en: "The decryption at the opening is over" }, { rule: "opening-closed" });
        const list = Array.isArray(ctx.params.shares) ? (ctx.params.shares as Array<{ bidId?: unknown; share?: unknown }>) : null;
        if (!list || !list.length || list.length > 10_000) throw validationFailed([fieldError("/shares", "required", "请提交解密得到的密钥份额", "Send the key shares you unwrapped")]);
        const bids = new Map((await lastVersions(this.db, t.id).where("b.action", "submitted").select("b.id", "b.tender_id", "b.shares")).map((b: BidRow) => [b.id, b]));
        const problems = list.flatMap((s, i) => {
          const bid = typeof s?.bidId === "string" ? bids.get(s.bidId) : undefined;
          if (!bid) return [fieldError(`/shares/${i}/bidId`, "exists", "不是本项目有效的投标文件", "Not a counted bid of this procurement")];
          if (typeof s.share !== "string" || !shareMatches({ tenderId: bid.tender_id, shares: bid.shares! }, custodian, s.share)) {
            return [fieldError(`/shares/${i}/share`, "share-digest", "该份额与投标人签名的摘要不符，不是加密给本开标人的份额", "This share does not match the digest the bidder signed: it is not the share sealed to this custodian")];
          }
          return [];
        });
        if (problems.length) throw validationFailed(problems);
        await this.db.transaction(async (trx) => {
          await trx("etrading_opening_shares").insert(list.map((s) => ({ bid_id: s.bidId, custodian, share: s.share, submitted_at: now }))).onConflict(["bid_id", "custodian"]).ignore();
          await writeAudit(trx, { actor: actorOf(ctx.meta.user!), tenantCode: t.tenant_code, action: "etrading.opening.shares", object: `${t.id}/${custodian}`, after: { bids: list.map((s) => s.bidId) } });
        });
        await hallNews(this.broker, this.db, t.id, "shares", { custodian, handedIn: list.length });
        const opened = await decide(this, ctx, t, now, list.map((s) => s.bidId as string));
        if (opened && (await allDecided(this.db, t.id))) await hallRecord(this.broker, this.db, t, await openingRecord(this.db, t));
        return { handedIn: list.length, opened, record: await openingRecord(this.db, t) };
      },
    },

    /**
     * POST /api/etrading/tenders/:id/opening/close: the purchaser or agency ends the decryption
     * window. A bid still without enough shares was not decrypted through no fault of its bidder:
     * deemed withdrawn (ebid.decryptionFailure).
     */
    close: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /tenders/:id/opening/close",
      gate: tenderGate,
      params: { id: "string" },
      async handler(this: This, ctx: PlatformContext<{ id: string }>) {
        const t = await tenderOf(this.db, ctx.params.id);
        if (!runs(ctx.meta.user!, t)) throw forbidden();
        const now = platformNow();
        refuseBeforeDeadline(t, now, { "zh-CN": "结束开标", en: "The opening can be closed" });
        await decide(this, ctx, t, now);
        if (await closeOpening(this.db, t, now, actorOf(ctx.meta.user!), ctx.meta.user!.id, "custodians-did-not-decrypt")) await hallRecord(this.broker, this.db, t, await openingRecord(this.db, t));
        return openingRecord(this.db, t);
      },
    },

    /**
     * POST /api/etrading/tenders/:id/opening/confirmation `{ objection? }`: a bidder confirms the
     * opening record, or objects with its reason, once the decryption is over (tender.opening.record).
     */
    confirm: {
      kind: "continue",
      permission: "authenticated",
      rest: "POST /tenders/:id/opening/confirmation",
      gate: tenderGate,
      params: { id: "string", objection: { type: "any", optional: true } },
      async handler(this: This, ctx: PlatformContext<{ id: string; objection?: unknown }>) {
        const user = ctx.meta.user!;
        const t = await tenderOf(this.db, ctx.params.id);
        if (!user.roles.includes("supplier") || !user.unitCode) throw forbidden();
        const bid = await lastVersions(this.db, t.id).where({ "b.supplier_code": user.unitCode, "b.action": "submitted" }).first("b.id");
        if (!bid) throw forbidden();
        const now = platformNow();
        refuseBeforeDeadline(t, now, { "zh-CN": "确认开标记录", en: "The opening record can be confirmed" });
        if (!(await allDecided(this.db, t.id))) {
          throw conflict({ "zh-CN": "开标解密尚未结束，开标记录还不完整", en: "The decryption is not over: the opening record is not complete yet" }, { rule: "tender.opening.record" });
        }
        const raw = ctx.params.objection;
        const objection = typeof raw === "string" ? raw.trim() : raw === undefined || raw === null ? "" : null;
        if (objection === null || objection.length > 4000) {
          throw validationFailed([fieldError("/objection", "length", "异议应为文字（至多 4000 字）", "An objection is text (4,000 characters at most)")]);
        }
        return this.db.transaction(async (trx) => {
          const inserted = await trx("etrading_opening_confirmations")
            .insert({ tender_id: t.id, supplier_code: user.unitCode, confirmed: !objection, objection: objection || null, account_id: user.id, answered_at: now })
            .onConflict(["tender_id", "supplier_code"]).ignore().returning("supplier_code");
          if (!inserted.length) throw conflict({ "zh-CN": "贵单位已对开标记录作出答复", en: "Your company has already answered the opening record" }, { rule: "tender.opening.record" });
          await writeAudit(trx, { actor: actorOf(user), tenantCode: t.tenant_code, action: objection ? "etrading.opening.object" : "etrading.opening.confirm", object: t.id, after: { objection: objection || null } });
          return { confirmed: !objection, objection: objection || null, at: now.toISOString(), rule: "tender.opening.record" };
        });
      },
    },

    /** GET /api/etrading/tenders/:id/opening: the opening record (tender.opening.record), after the deadline, for those who took part. */
    record: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /tenders/:id/opening",
      gate: tenderGate,
      params: { id: "string" },
      async handler(this: This, ctx: PlatformContext<{ id: string }>) {
        const user = ctx.meta.user!;
        const t = await openingReadable(this.db, ctx);
        return openingRecord(this.db, t, runs(user, t) || regulates(ctx, t));
      },
    },

    /**
     * GET /api/etrading/tenders/:id/opening-record: the opening record as a printed document (开标记录),
     * once the decryption is over, for those who read the opening; sealed under a verification code
     * (core's sealed documents), its content not public: bid prices are for the opening's parties.
     */
    printRecord: {
      kind: "read",
      permission: "authenticated",
      rest: "GET /tenders/:id/opening-record",
      gate: tenderGate,
      params: { id: "string" },
      async handler(this: This, ctx: PlatformContext<{ id: string }>) {
        const user = ctx.meta.user!;
        const t = await openingReadable(this.db, ctx);
        if (!(await allDecided(this.db, t.id))) {
          throw conflict({ "zh-CN": "开标解密尚未结束，开标记录还不完整，暂不能打印", en: "The decryption is not over: the opening record is not complete and cannot be printed yet" }, { rule: "tender.opening.record" });
        }
        const document = await printedRecord(this.db, t);
        const sealed = await sealDocument(this.db, { issuer: "etrading", kind: "opening-record", reference: t.id, name: RECORD_NAME, content: document, public: false, tenantCode: t.tenant_code, actor: actorOf(user) });
        return { ...sealed, document };
      },
    },
  },
};

/** The tender whose opening the caller may read (a bidder, those who run it, its regulators, a key holder), after its deadline. */
async function openingReadable(db: Knex, ctx: PlatformContext<{ id: string }>) {
  const user = ctx.meta.user!;
  const t = await tenderOf(db, ctx.params.id);
  const bidder = !!user.unitCode && user.roles.includes("supplier") && !!(await db("etrading_bids").where({ tender_id: t.id, supplier_code: user.unitCode }).first());
  if (!bidder && !runs(user, t) && !regulates(ctx, t) && !custodianIds(t).some((c) => holds(user, t, c))) throw forbidden();
  refuseBeforeDeadline(t, platformNow(), { "zh-CN": "开标记录", en: "The opening record is available" });
  return t;
}

/** A retried request: the first receipt again, whatever was sent this time, as long as it is the same bid. */
function retried(first: BidRow, ctx: PlatformContext<{ id: string; bid?: unknown }>) {
  const sent = ctx.params.bid as { hash?: unknown } | undefined;
  if (first.action === "submitted" && sent && typeof sent === "object" && sent.hash !== first.hash) {
    throw conflict(
      { "zh-CN": "该 Idempotency-Key 已用于另一份投标文件", en: "This Idempotency-Key was used for another bid" },
      { rule: "idempotency-key", receipt: first.receipt },
    );
  }
  return { receipt: first.receipt, retried: true, rule: "tender.bidModifyUntilDeadline" };
}

/** What the opening hall (services/hall.ts) shares with the opening here. */
export const opening = { tenderOf, openingRecord, lastVersions, runs, regulates, holds, custodianIds, refuseBeforeDeadline, allDecided, decide, stored, OUTCOME_TEXT };
export type { Tender as OpeningTender, BidRow as OpeningBid, Outcome as OpeningOutcome };
