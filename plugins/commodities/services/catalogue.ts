import crypto from "node:crypto";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import localizeZh from "ajv-i18n/localize/zh";
import { pinyin } from "pinyin-pro";
import type { Knex } from "knex";
import {
  actorOf, compareMoney, conflict, type ErrorDetail, fieldError, forbidden, isUuid, listPage, listParams, type ListOrder, localDate, notFound,
  type PlatformContext, type PlatformServiceSchema, type PluginServiceThis, platformNow, type SearchColumn, type SessionUser, toMoney,
  validationFailed, whereContains, writeAudit,
} from "../../../core/sdk";
import CATEGORIES from "../categories.json";

// ── categories and their attribute schemas ────────────────────────────────────────────────

interface CategoryNode { code: string; name: string; nameEn: string; attributes?: Record<string, unknown>; children?: CategoryNode[] }
export interface CategoryRow { code: string; parent: string | null; name: string; name_en: string; attributes: Record<string, unknown> | null; seq: number }

/** The tree as rows, parents first (the migration's seed and the demo read it). */
export function categoryRows(): CategoryRow[] {
  const rows: CategoryRow[] = [];
  const walk = (n: CategoryNode, parent: string | null) => {
    rows.push({ code: n.code, parent, name: n.name, name_en: n.nameEn, attributes: n.attributes ?? null, seq: rows.length });
    for (const c of n.children ?? []) walk(c, n.code);
  };
  for (const n of (CATEGORIES as { tree: CategoryNode[] }).tree) walk(n, null);
  return rows;
}
export const LEAVES = categoryRows().filter((r) => r.attributes);

// The attribute schemas are plain JSON Schema with the forms' bilingual titles; ajv checks them as the
// form engine does, with its Chinese messages (ajv-i18n) beside the English ones.
const ajv = new Ajv({ allErrors: true, strict: true, messages: true });
ajv.addKeyword({ keyword: "titleEn", schemaType: "string" });
const validators = new Map<string, ValidateFunction>();
function validatorOf(code: string, schema: Record<string, unknown>): ValidateFunction {
  let v = validators.get(code);
  if (!v) validators.set(code, (v = ajv.compile(schema)));
  return v;
}
const pathOf = (e: ErrorObject) =>
  e.keyword === "required" ? `${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}`
    : e.keyword === "additionalProperties" ? `${e.instancePath}/${(e.params as { additionalProperty: string }).additionalProperty}`
      : e.instancePath;

/** The problems of `attributes` against the category's schema, each at /attributes/<field>. */
export function attributeProblems(code: string, schema: Record<string, unknown>, attributes: unknown): ErrorDetail[] {
  const v = validatorOf(code, schema);
  if (v(attributes)) return [];
  const en = (v.errors ?? []).map((e) => ({ ...e }));
  const zh = (v.errors ?? []).map((e) => ({ ...e }));
  localizeZh(zh);
  return en.map((e, i) => fieldError(`/attributes${pathOf(e)}`, e.keyword, zh[i].message ?? "不符合品目的属性要求", e.message ?? "does not match the category's attributes"));
}

// ── rows and views ───────────────────────────────────────────────────────────────────────

interface AdmissionRow { supplier_code: string; supplier_name: string; role: string; status: string; reviewed_by: string | null; review_note: string | null; created_at: Date; updated_at: Date }
interface LicenceRow { id: number; supplier_code: string; kind: string; number: string; expires_on: string }
interface ProductRow { id: string; category_code: string; brand: string; model: string; name: string; attributes: Record<string, unknown>; specifications: string; created_by: string; created_at: Date }
export interface OfferRow {
  id: string; product_id: string; supplier_code: string; supplier_name: string; supplier_region: string; category_code: string; brand: string; price: string; stock: number;
  regions: string[]; delivery_days: number; warranty_months: number; status: string; flagged: boolean; flag_reason: string | null; search: string; created_at: Date; updated_at: Date;
}

const ROLES = ["manufacturer", "dealer", "designated-point"] as const;
const PRODUCT = { "zh-CN": "商品", en: "product" };
const ADMISSION = { "zh-CN": "入驻申请", en: "admission" };
/** how far above the product's median across suppliers an offer is flagged for review (percent) */
// (the platform's review threshold, not a statute: a tenant would tune it, and 30 % catches a typo or a
// mark-up without flagging ordinary spread between dealers)
export const PRICE_FLAG_PERCENT = 30;

const str = (v: unknown) => (typeof v === "string" ? v.trim() : "");
const normal = (s: string) => s.normalize("NFKC").toLowerCase();

/** The pinyin initials of each run of Chinese characters: 联想台式计算机 → lxtsjsj (a buyer types lx for 联想). */
export function initials(text: string): string[] {
  return (text.match(/\p{Script=Han}+/gu) ?? []).map((run) => pinyin(run, { pattern: "first", toneType: "none", type: "array" }).join(""));
}

/** What search matches: brand, model, product name, the values of its attributes, and the pinyin initials of brand and name. */
export function searchText(p: { brand: string; model: string; name: string; attributes: Record<string, unknown> }): string {
  const values = Object.values(p.attributes).filter((v) => typeof v === "string" || typeof v === "number").map(String);
  return normal([p.brand, p.model, p.name, ...values, ...initials(p.brand), ...initials(p.name)].join(" "));
}

const offerView = (r: OfferRow & { product_name?: string; model?: string }) => ({
  id: r.id,
  productId: r.product_id,
  productName: r.product_name,
  model: r.model,
  supplier: { code: r.supplier_code, name: r.supplier_name, region: r.supplier_region },
  categoryCode: r.category_code,
  brand: r.brand,
  price: toMoney(r.price),
  stock: r.stock,
  regions: r.regions,
  deliveryDays: r.delivery_days,
  warrantyMonths: r.warranty_months,
  status: r.status,
  flagged: r.flagged,
  flagReason: r.flag_reason,
});

const productView = (p: ProductRow) => ({
  id: p.id, categoryCode: p.category_code, brand: p.brand, model: p.model, name: p.name, attributes: p.attributes, specifications: p.specifications,
  image: `/api/commodities/products/${p.id}/image.svg`,
});

/** A licence lapses after its last day: valid on `day` when it ends on or after it. */
export const licencesValid = (licences: Pick<LicenceRow, "expires_on">[], day: string) => licences.length > 0 && licences.every((l) => l.expires_on >= day);

function userOf(ctx: PlatformContext): SessionUser {
  return ctx.meta.user as SessionUser;
}
function asSupplier(ctx: PlatformContext): string {
  const u = userOf(ctx);
  if (!u?.roles.includes("supplier") || !u.unitCode) throw forbidden();
  return u.unitCode;
}
const reviews = (u: SessionUser) => u.roles.includes("platform-admin") || u.roles.includes("tenant-admin");

/** A product's image: a generated SVG card of its brand and model, coloured by its category. */
export function productSvg(p: Pick<ProductRow, "brand" | "model" | "name" | "category_code">): string {
  const hue = parseInt(crypto.createHash("sha1").update(p.category_code).digest("hex").slice(0, 4), 16) % 360;
  const esc = (s: string) => s.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]!);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240" viewBox="0 0 320 240" role="img" aria-label="${esc(p.brand)} ${esc(p.model)}">`
    + `<rect width="320" height="240" rx="12" fill="hsl(${hue},45%,92%)"/><rect x="90" y="40" width="140" height="100" rx="10" fill="hsl(${hue},50%,40%)"/>`
    + `<text x="160" y="172" font-size="20" text-anchor="middle" fill="#1a1a1a" font-family="sans-serif">${esc(p.brand)}</text>`
    + `<text x="160" y="200" font-size="15" text-anchor="middle" fill="#333" font-family="sans-serif">${esc(p.model)}</text>`
    + `<text x="160" y="224" font-size="13" text-anchor="middle" fill="#444" font-family="sans-serif">${esc(p.name)}</text></svg>`;
}

// ── price monitoring ─────────────────────────────────────────────────────────────────────

/**
 * Flags (or clears) each active offer of a product whose price is more than PRICE_FLAG_PERCENT above the
 * median of the product's active offers; with fewer than three offers there is no market to compare.
 */
export async function reprice(trx: Knex | Knex.Transaction, productId: string): Promise<void> {
  await trx.raw(
    `with m as (
       select percentile_cont(0.5) within group (order by price) as median, count(*) as n
       from commodities_offers where product_id = ? and status = 'active')
     update commodities_offers o set
       flagged = (m.n >= 3 and o.price > m.median * (1 + ?::numeric / 100)),
       flag_reason = case when m.n >= 3 and o.price > m.median * (1 + ?::numeric / 100)
         then '价格高于同商品各供应商报价中位数 ' || round(m.median::numeric, 2) || ' 元的 ' || ? || '%（commodities.priceMonitoring）' end
     from m where o.product_id = ?`,
    [productId, PRICE_FLAG_PERCENT, PRICE_FLAG_PERCENT, PRICE_FLAG_PERCENT, productId],
  );
}

/** Suspends the offers of suppliers with a lapsed licence on `day` (and reactivates those renewed). */
export async function sweepLicences(db: Knex, day: string): Promise<{ suspended: number; restored: number }> {
  const lapsed = db("commodities_licences").select("supplier_code").where("expires_on", "<", day);
  const suspended = await db("commodities_offers").where({ status: "active" }).whereIn("supplier_code", lapsed).update({ status: "suspended", updated_at: platformNow() });
  const restored = await db("commodities_offers").where({ status: "suspended" }).whereNotIn("supplier_code", lapsed).update({ status: "active", updated_at: platformNow() });
  return { suspended, restored };
}

// ── search ───────────────────────────────────────────────────────────────────────────────

/** Cheapest first, then the key: the partial indexes commodities_offers_price and _category_price. */
const OFFER_ORDER: ListOrder = { name: "commodities.offers", keys: [{ column: "o.price", kind: "text" }, { column: "o.id", kind: "uuid" }], direction: "asc" };
/**
 * The same order for a search with rare words: `price + 0` keeps the planner off the price index. Walking
 * it cheapest first and testing each row against a rare word (a model fragment matching 300 of a million)
 * reads most of the table; the words' bigram/trigram indexes find the matches, then they are sorted. A
 * common word (a brand: 25,000 offers) is the other way round, so the plan's estimate picks (WALK_FROM).
 */
/** From this many expected matches, walking the price index finds a page sooner than sorting every match. */
const WALK_FROM = 3000;
async function estimatedRows(db: Knex, q: Knex.QueryBuilder): Promise<number> {
  const plain = q.clone().clearSelect().select(db.raw("1")).toSQL();
  const { rows } = await db.raw(`explain (format json) ${plain.sql}`, plain.bindings as Knex.Value[]);
  return Number(rows[0]["QUERY PLAN"][0].Plan["Plan Rows"]);
}
const MATCH_ORDER: ListOrder = { ...OFFER_ORDER, keys: [{ column: "(o.price + 0)", kind: "text" }, OFFER_ORDER.keys[1]] };
/** brand, model, name and attribute values; bigram and trigram indexes (core's list-query helper) */
const OFFER_SEARCH: SearchColumn = { column: "o.search", bigrams: "commodities_bigrams(o.search)", trigram: true };
const PRICE_BANDS = ["0", "500", "2000", "5000", "20000", "100000"];

interface SearchParams { q?: string; category?: string; brand?: string; priceMin?: string; priceMax?: string; region?: string; pavilion?: string; tenantCode?: string; page?: string; pageSize?: string; cursor?: string; facets?: string }

const leavesUnder = (prefix: string) => {
  const found = LEAVES.filter((l) => l.code.startsWith(prefix)).map((l) => l.code);
  return found.length ? found : ["-"];
};

async function pavilionOf(db: Knex, tenantCode: string, key: string) {
  const row = await db("commodities_pavilions").where({ tenant_code: tenantCode, key }).first();
  if (!row) throw validationFailed([fieldError("/pavilion", "pavilion", "本地区没有这个场馆", "No such pavilion in this region")]);
  return row as { categories: string[]; supplier_regions: string[] };
}

function filtered(db: Knex, p: SearchParams, terms: string[], pavilion: { categories: string[]; supplier_regions: string[] } | null) {
  const q = db<OfferRow>("commodities_offers as o").where("o.status", "active");
  // a branch is the list of its leaves, so that the (category_code, price, id) index serves it too
  if (p.category) q.whereIn("o.category_code", leavesUnder(p.category));
  if (p.brand) q.where("o.brand", p.brand);
  if (p.priceMin) q.where("o.price", ">=", p.priceMin);
  if (p.priceMax) q.where("o.price", "<", p.priceMax);
  if (p.region) q.whereRaw("o.regions @> array[?]::text[]", [p.region]);
  if (pavilion) {
    if (pavilion.categories.length) q.whereIn("o.category_code", pavilion.categories.flatMap(leavesUnder));
    if (pavilion.supplier_regions.length) q.whereIn("o.supplier_region", pavilion.supplier_regions);
  }
  whereContains(q, OFFER_SEARCH, terms);
  return q;
}

async function facetsOf(db: Knex, base: Knex.QueryBuilder, order: ListOrder) {
  // each facet over at most the first 1,000 matches (cheapest first): a broad query's facets describe its
  // cheapest thousand, which is what a buyer narrows from; counting all of a million would not fit 100 ms
  const sample = base.clone().clearSelect().select("o.category_code", "o.brand", "o.price", "o.regions").orderByRaw(order.keys[0].column).limit(1000);
  const rows = await db.raw(
    `with s as (${sample.toString()})
     select 'category' as facet, left(category_code, 5) as value, count(*)::int as n from s group by 2
     union all select 'brand', brand, count(*)::int from s group by 2
     union all select 'region', r, count(*)::int from s, unnest(regions) r group by 2
     union all select 'price', (select max(b) from unnest(?::numeric[]) b where b <= s.price)::text, count(*)::int from s group by 2`,
    [PRICE_BANDS],
  );
  const out: Record<string, Array<{ value: string; count: number }>> = { category: [], brand: [], region: [], price: [] };
  for (const r of rows.rows as Array<{ facet: string; value: string; n: number }>) out[r.facet].push({ value: r.value, count: r.n });
  for (const k of Object.keys(out)) out[k].sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
  out.price = out.price.map((b) => {
    const i = PRICE_BANDS.findIndex((x) => Number(x) === Number(b.value));
    return { value: `${PRICE_BANDS[i]}-${PRICE_BANDS[i + 1] ?? ""}`, count: b.count };
  }).sort((a, b) => Number(a.value.split("-")[0]) - Number(b.value.split("-")[0]));
  return out;
}

export async function searchOffers(db: Knex, ctx: PlatformContext<SearchParams>) {
  const p = ctx.params;
  const problems: ErrorDetail[] = [];
  for (const k of ["priceMin", "priceMax"] as const) {
    if (p[k] !== undefined && !/^\d{1,13}(\.\d{1,2})?$/.test(String(p[k]))) problems.push(fieldError(`/${k}`, "money", "应为金额，如 1999.00", "must be an amount such as 1999.00"));
  }
  for (const k of ["category", "brand", "region", "pavilion", "tenantCode"] as const) {
    if (p[k] !== undefined && (typeof p[k] !== "string" || (p[k] as string).length > 60)) problems.push(fieldError(`/${k}`, "type", "应为一个不超过 60 字的字符串", "must be one string of at most 60 characters"));
  }
  const req = listParams(p, OFFER_ORDER, { pageSize: 20, maxPageSize: 100 }, problems);
  const tenantCode = p.tenantCode ?? userOf(ctx)?.tenantCode ?? "441300";
  const pavilion = p.pavilion ? await pavilionOf(db, tenantCode, p.pavilion) : null;
  const base = filtered(db, p, req.terms, pavilion);
  const order = req.terms.length && (await estimatedRows(db, base)) < WALK_FROM ? MATCH_ORDER : OFFER_ORDER;
  const rows = base.clone().join("commodities_products as pr", "pr.id", "o.product_id").select("o.*", "pr.name as product_name", "pr.model");
  const [page, facets] = await Promise.all([
    listPage<OfferRow & { product_name: string; model: string }>(db, rows, order, req),
    p.facets === "0" ? null : facetsOf(db, base, order),
  ]);
  return { items: page.rows.map(offerView), total: page.total, totalIsEstimate: page.totalIsEstimate, nextCursor: page.nextCursor, page: req.page, pageSize: req.pageSize, facets };
}

// ── the service ──────────────────────────────────────────────────────────────────────────

interface LicenceInput { kind?: unknown; number?: unknown; expiresOn?: unknown }

function checkLicences(raw: unknown, problems: ErrorDetail[]): Array<{ kind: string; number: string; expires_on: string }> {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > 20) {
    problems.push(fieldError("/licences", "minItems", "请提供 1 至 20 份资质证照", "give 1 to 20 licences"));
    return [];
  }
  return raw.map((l: LicenceInput, i) => {
    const kind = str(l?.kind), number = str(l?.number), expires = str(l?.expiresOn);
    if (!kind || kind.length > 40) problems.push(fieldError(`/licences/${i}/kind`, "required", "请填写证照类别", "give the licence's kind"));
    if (!number || number.length > 60) problems.push(fieldError(`/licences/${i}/number`, "required", "请填写证照编号", "give the licence's number"));
    if (!/^\d{4}-\d{2}-\d{2}$/.test(expires) || Number.isNaN(Date.parse(expires))) problems.push(fieldError(`/licences/${i}/expiresOn`, "date", "应为日期，如 2027-06-30", "must be a date such as 2027-06-30"));
    return { kind, number, expires_on: expires };
  });
}

async function admittedSupplier(db: Knex | Knex.Transaction, code: string, day: string) {
  const adm = await db<AdmissionRow>("commodities_admissions").where({ supplier_code: code }).first();
  if (!adm || adm.status !== "admitted") {
    throw conflict({ "zh-CN": "贵单位尚未通过商品库入驻审核", en: "Your company has not been admitted to the commodities registry" }, { rule: "admission" });
  }
  const licences = await db<LicenceRow>("commodities_licences").where({ supplier_code: code });
  if (!licencesValid(licences, day)) {
    const lapsed = licences.filter((l) => l.expires_on < day).map((l) => ({ kind: l.kind, number: l.number, expiresOn: l.expires_on }));
    throw conflict({ "zh-CN": "贵单位的资质证照已过期，报价已暂停，请先更新证照", en: "Your licence has expired: your offers are suspended until you renew it" }, { rule: "licence-expired", lapsed });
  }
  return adm;
}

interface ProductInput { categoryCode?: string; brand?: string; model?: string; name?: string; attributes?: unknown; specifications?: string }
interface OfferInput { productId?: string; price?: string; stock?: number; regions?: unknown; deliveryDays?: number; warrantyMonths?: number }

/** Products checked against their categories' schemas (each problem at `<at>/<i>/…`), then written in one transaction. */
async function putProducts(db: Knex, ctx: PlatformContext, list: ProductInput[], at: string) {
  const code = asSupplier(ctx);
  const problems: ErrorDetail[] = [];
  const cats = new Map((await db<CategoryRow>("commodities_categories").whereNotNull("attributes")).map((c) => [c.code, c]));
  list.forEach((p, i) => {
    const path = at ? `${at}/${i}` : "";
    for (const k of ["brand", "model", "name"] as const) if (!str(p?.[k]) || str(p[k]).length > 80) problems.push(fieldError(`${path}/${k}`, "required", "必填，不超过 80 字", "required, at most 80 characters"));
    const cat = typeof p?.categoryCode === "string" ? cats.get(p.categoryCode) : undefined;
    if (!cat) problems.push(fieldError(`${path}/categoryCode`, "category", "应为品目分类的末级品目", "must be a leaf of the item classification"));
    else problems.push(...attributeProblems(cat.code, cat.attributes!, p.attributes).map((d) => ({ ...d, path: `${path}${d.path}` })));
    if (typeof p?.specifications === "string" && p.specifications.length > 4000) problems.push(fieldError(`${path}/specifications`, "maxLength", "最多 4000 字", "at most 4000 characters"));
  });
  if (problems.length) throw validationFailed(problems);
  const adm = await admittedSupplier(db, code, localDate(platformNow()));
  if (adm.role === "designated-point" && list.some((p) => !p.categoryCode!.startsWith("C"))) throw conflict({ "zh-CN": "定点供应商只能发布服务类商品", en: "A designated point lists services only" }, { rule: "designated-point-services" });
  const now = platformNow();
  const rows = list.map((p) => ({ id: crypto.randomUUID(), category_code: p.categoryCode!, brand: str(p.brand), model: str(p.model), name: str(p.name), attributes: p.attributes as Record<string, unknown>, specifications: str(p.specifications), created_by: code, created_at: now }));
  await db.transaction(async (trx) => {
    for (let i = 0; i < rows.length; i += 500) {
      const part = rows.slice(i, i + 500);
      const dup = await trx("commodities_products").whereIn(["brand", "model"], part.map((r) => [r.brand, r.model])).first("id", "brand", "model");
      if (dup) throw conflict({ "zh-CN": `商品库已有 ${dup.brand} ${dup.model}，请直接对其报价`, en: `${dup.brand} ${dup.model} is already in the registry: offer it` }, { rule: "product-exists", productId: dup.id });
      await trx("commodities_products").insert(part.map((r) => ({ ...r, attributes: JSON.stringify(r.attributes) })));
    }
    await writeAudit(trx, { actor: actorOf(userOf(ctx)), tenantCode: userOf(ctx).tenantCode, action: "commodities.product.create", object: rows.length === 1 ? rows[0].id : `${rows.length} products`, after: rows.map((r) => ({ id: r.id, brand: r.brand, model: r.model })) });
  });
  return rows.map(productView);
}

/** Offers checked (each problem at `<at>/<i>/…`), written in one transaction, each product's prices monitored again. */
async function putOffers(db: Knex, ctx: PlatformContext, list: OfferInput[], at: string) {
  const code = asSupplier(ctx);
  const problems: ErrorDetail[] = [];
  const ids = list.map((p) => p?.productId).filter(isUuid) as string[];
  const products = new Map((await db<ProductRow>("commodities_products").whereIn("id", ids)).map((p) => [p.id, p]));
  list.forEach((p, i) => {
    const path = at ? `${at}/${i}` : "";
    if (typeof p?.price !== "string" || !/^\d{1,13}(\.\d{1,2})?$/.test(p.price) || compareMoney(p.price, "0.01") < 0) problems.push(fieldError(`${path}/price`, "money", "应为不小于 0.01 的金额", "must be an amount of at least 0.01"));
    if (!Number.isInteger(p?.stock) || p.stock! < 0 || p.stock! > 10_000_000) problems.push(fieldError(`${path}/stock`, "integer", "库存应为 0 至 10000000 的整数", "stock is a whole number from 0 to 10,000,000"));
    if (!Number.isInteger(p?.deliveryDays) || p.deliveryDays! < 1 || p.deliveryDays! > 180) problems.push(fieldError(`${path}/deliveryDays`, "integer", "供货期应为 1 至 180 天", "delivery takes 1 to 180 days"));
    if (!Number.isInteger(p?.warrantyMonths) || p.warrantyMonths! < 0 || p.warrantyMonths! > 120) problems.push(fieldError(`${path}/warrantyMonths`, "integer", "质保期应为 0 至 120 个月", "warranty is 0 to 120 months"));
    const regions = Array.isArray(p?.regions) ? p.regions : [];
    if (!regions.length || regions.length > 200 || !regions.every((r) => typeof r === "string" && /^\d{6}$/.test(r))) problems.push(fieldError(`${path}/regions`, "division-code", "请列出供货的行政区划代码（6 位）", "list the 6-digit division codes delivered to"));
    if (!products.has(p?.productId as string)) problems.push(fieldError(`${path}/productId`, "product", "商品库中没有这个商品", "No such product in the registry"));
  });
  if (problems.length) throw validationFailed(problems);
  const now = platformNow();
  const adm = await admittedSupplier(db, code, localDate(now));
  const supplier = await ctx.call<{ region: string }, { code: string }>("registries.suppliers.get", { code });
  await db.transaction(async (trx) => {
    const rows = list.map((p) => {
      const product = products.get(p.productId!)!;
      return {
        id: crypto.randomUUID(), product_id: product.id, supplier_code: code, supplier_name: adm.supplier_name, supplier_region: supplier.region, category_code: product.category_code, brand: product.brand,
        price: p.price, stock: p.stock, regions: p.regions as string[], delivery_days: p.deliveryDays, warranty_months: p.warrantyMonths, status: "active", search: searchText(product), created_at: now, updated_at: now,
      };
    });
    for (let i = 0; i < rows.length; i += 500) {
      await trx("commodities_offers").insert(rows.slice(i, i + 500)).onConflict(["product_id", "supplier_code"]).merge(["price", "stock", "regions", "delivery_days", "warranty_months", "status", "updated_at"]);
    }
    for (const id of new Set(rows.map((r) => r.product_id))) await reprice(trx, id);
    await writeAudit(trx, { actor: actorOf(userOf(ctx)), tenantCode: userOf(ctx).tenantCode, action: "commodities.offer.put", object: code, after: rows.map((r) => ({ productId: r.product_id, price: r.price, stock: r.stock })) });
  });
  const saved = await db<OfferRow>("commodities_offers").where({ supplier_code: code }).whereIn("product_id", list.map((p) => p.productId!));
  const byProduct = new Map(saved.map((r) => [r.product_id, r]));
  return list.map((p) => offerView(byProduct.get(p.productId!)!));
}

export const catalogueService: PlatformServiceSchema & ThisType<PluginServiceThis> = {
  name: "commodities",
  async started(this: PluginServiceThis & { sweepTimer?: NodeJS.Timeout }) {
    // categories.json is the tree's source: each start brings the table to it (several nodes may at once)
    await this.db("commodities_categories").insert(categoryRows().map((r) => ({ ...r, attributes: r.attributes ? JSON.stringify(r.attributes) : null }))).onConflict("code").merge();
    // the daily licence check: every hour is cheap and catches the day's change within the hour on any node
    this.sweepTimer = setInterval(() => void sweepLicences(this.db, localDate(platformNow())).catch(() => {}), 3_600_000);
    this.sweepTimer.unref();
  },
  stopped(this: { sweepTimer?: NodeJS.Timeout }) {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
  },
  actions: {
    categories: {
      rest: "GET /categories",
      kind: "read",
      permission: "public",
      async handler(this: PluginServiceThis) {
        const rows = await this.db<CategoryRow>("commodities_categories").orderBy("seq");
        return { items: rows.map((r) => ({ code: r.code, parent: r.parent, name: r.name, nameEn: r.name_en, leaf: !!r.attributes, attributes: r.attributes })) };
      },
    },

    apply: {
      rest: "POST /admissions",
      kind: "create",
      permission: "authenticated",
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ role?: string; licences?: unknown }>) {
        const code = asSupplier(ctx);
        const problems: ErrorDetail[] = [];
        if (!ROLES.includes(ctx.params.role as (typeof ROLES)[number])) problems.push(fieldError("/role", "enum", "应为生产厂商、经销商或定点供应商", "must be manufacturer, dealer or designated-point"));
        const licences = checkLicences(ctx.params.licences, problems);
        if (problems.length) throw validationFailed(problems);
        const supplier = await ctx.call<{ name: string; status: string }, { code: string }>("registries.suppliers.get", { code }).catch((err) => {
          if ((err as { type?: string }).type === "NOT_FOUND") throw conflict({ "zh-CN": "供应商库中没有贵单位", en: "Your company is not in the suppliers registry" }, { rule: "registry" });
          throw err;
        });
        const now = platformNow();
        await this.db.transaction(async (trx) => {
          const existing = await trx<AdmissionRow>("commodities_admissions").where({ supplier_code: code }).forUpdate().first();
          if (existing?.status === "admitted" && existing.role === ctx.params.role) {
            // a renewal of licences keeps the admission and lifts a suspension at once
            await trx("commodities_licences").where({ supplier_code: code }).delete();
            await trx("commodities_licences").insert(licences.map((l) => ({ ...l, supplier_code: code })));
          } else {
            await trx("commodities_admissions").insert({ supplier_code: code, supplier_name: supplier.name, role: ctx.params.role, status: "pending", created_at: now, updated_at: now })
              .onConflict("supplier_code").merge({ role: ctx.params.role, status: "pending", updated_at: now });
            await trx("commodities_licences").where({ supplier_code: code }).delete();
            await trx("commodities_licences").insert(licences.map((l) => ({ ...l, supplier_code: code })));
          }
          await writeAudit(trx, { actor: actorOf(userOf(ctx)), tenantCode: userOf(ctx).tenantCode, action: "commodities.admission.apply", object: code, after: { role: ctx.params.role, licences } });
        });
        await sweepLicences(this.db, localDate(now));
        return this.db<AdmissionRow>("commodities_admissions").where({ supplier_code: code }).first().then((r) => ({ supplierCode: r!.supplier_code, role: r!.role, status: r!.status }));
      },
    },

    review: {
      rest: "POST /admissions/:code/review",
      kind: "continue",
      permission: "authenticated",
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ code: string; decision?: string; note?: string }>) {
        if (!reviews(userOf(ctx))) throw forbidden();
        if (!["admitted", "rejected"].includes(String(ctx.params.decision))) throw validationFailed([fieldError("/decision", "enum", "应为 admitted 或 rejected", "must be admitted or rejected")]);
        return this.db.transaction(async (trx) => {
          const row = await trx<AdmissionRow>("commodities_admissions").where({ supplier_code: ctx.params.code }).forUpdate().first();
          if (!row) throw notFound(ADMISSION);
          if (row.status !== "pending") throw conflict({ "zh-CN": "该申请已审核", en: "This application has been reviewed" }, { rule: "reviewed", status: row.status });
          await trx("commodities_admissions").where({ supplier_code: row.supplier_code }).update({ status: ctx.params.decision, reviewed_by: userOf(ctx).username, review_note: str(ctx.params.note) || null, updated_at: platformNow() });
          await writeAudit(trx, { actor: actorOf(userOf(ctx)), tenantCode: userOf(ctx).tenantCode, action: "commodities.admission.review", object: row.supplier_code, before: { status: row.status }, after: { status: ctx.params.decision } });
          return { supplierCode: row.supplier_code, role: row.role, status: ctx.params.decision };
        });
      },
    },

    createProduct: {
      rest: "POST /products",
      kind: "create",
      permission: "authenticated",
      async handler(this: PluginServiceThis, ctx: PlatformContext<ProductInput>) {
        const [made] = await putProducts(this.db, ctx, [ctx.params], "");
        return made;
      },
    },

    /** A supplier's catalogue in one request (up to 1,000 products): all are checked, and all or none written. */
    importProducts: {
      rest: "POST /products/import",
      kind: "create",
      permission: "authenticated",
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ products?: unknown }>) {
        const list = ctx.params.products;
        if (!Array.isArray(list) || !list.length || list.length > 1000) throw validationFailed([fieldError("/products", "maxItems", "请提供 1 至 1000 个商品", "give 1 to 1,000 products")]);
        return { items: await putProducts(this.db, ctx, list as ProductInput[], "/products") };
      },
    },

    product: {
      rest: "GET /products/:id",
      kind: "read",
      permission: "public",
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ id: string }>) {
        if (!isUuid(ctx.params.id)) throw notFound(PRODUCT);
        const p = await this.db<ProductRow>("commodities_products").where({ id: ctx.params.id }).first();
        if (!p) throw notFound(PRODUCT);
        const offers = await this.db<OfferRow>("commodities_offers").where({ product_id: p.id, status: "active" }).orderBy("price").limit(50);
        const cat = await this.db<CategoryRow>("commodities_categories").where({ code: p.category_code }).first();
        return { ...productView(p), category: { code: cat!.code, name: cat!.name, nameEn: cat!.name_en, attributes: cat!.attributes }, offers: offers.map(offerView) };
      },
    },

    image: {
      rest: "GET /products/:id/image.svg",
      kind: "read",
      permission: "public",
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ id: string }>) {
        if (!isUuid(ctx.params.id)) throw notFound(PRODUCT);
        const p = await this.db<ProductRow>("commodities_products").where({ id: ctx.params.id }).first();
        if (!p) throw notFound(PRODUCT);
        (ctx.meta as { $responseType?: string }).$responseType = "image/svg+xml";
        return Buffer.from(productSvg(p));
      },
    },

    offer: {
      rest: "POST /offers",
      kind: "create",
      permission: "authenticated",
      async handler(this: PluginServiceThis, ctx: PlatformContext<OfferInput>) {
        const [made] = await putOffers(this.db, ctx, [ctx.params], "");
        return made;
      },
    },

    /** A supplier's offers in one request (up to 2,000): all are checked, and all or none written. */
    importOffers: {
      rest: "POST /offers/import",
      kind: "create",
      permission: "authenticated",
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ offers?: unknown }>) {
        const list = ctx.params.offers;
        if (!Array.isArray(list) || !list.length || list.length > 2000) throw validationFailed([fieldError("/offers", "maxItems", "请提供 1 至 2000 条报价", "give 1 to 2,000 offers")]);
        return { items: await putOffers(this.db, ctx, list as OfferInput[], "/offers") };
      },
    },

    search: {
      rest: "GET /offers",
      kind: "read",
      permission: "public",
      handler(this: PluginServiceThis, ctx: PlatformContext<SearchParams>) {
        return searchOffers(this.db, ctx);
      },
    },

    flagged: {
      rest: "GET /offers/flagged",
      kind: "read",
      permission: "authenticated",
      async handler(this: PluginServiceThis, ctx: PlatformContext) {
        if (!reviews(userOf(ctx)) && !userOf(ctx).roles.includes("regulator")) throw forbidden();
        const rows = await this.db<OfferRow>("commodities_offers").where({ flagged: true }).orderBy("updated_at", "desc").limit(200);
        return { items: rows.map(offerView) };
      },
    },

    sweep: {
      rest: "POST /licences/sweep",
      kind: "continue",
      permission: "authenticated",
      async handler(this: PluginServiceThis, ctx: PlatformContext) {
        if (!userOf(ctx).roles.includes("platform-admin")) throw forbidden();
        return sweepLicences(this.db, localDate(platformNow()));
      },
    },

    /**
     * For the e-mall, at order time: the offers named, each with its product and whether its supplier
     * may sell today (admitted, every licence valid). Not a route.
     */
    forOrder: {
      kind: "read",
      permission: "authenticated",
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ ids: string[] }>) {
        const ids = (ctx.params.ids ?? []).filter(isUuid);
        const rows = await this.db("commodities_offers as o").join("commodities_products as pr", "pr.id", "o.product_id").whereIn("o.id", ids).select("o.*", "pr.name as product_name", "pr.model");
        const day = localDate(platformNow());
        const codes = [...new Set(rows.map((r: OfferRow) => r.supplier_code))];
        const licences = await this.db<LicenceRow>("commodities_licences").whereIn("supplier_code", codes);
        const admissions = await this.db<AdmissionRow>("commodities_admissions").whereIn("supplier_code", codes).where({ status: "admitted" });
        const admitted = new Set(admissions.map((a) => a.supplier_code));
        const roles = new Map(admissions.map((a) => [a.supplier_code, a.role]));
        return {
          items: rows.map((r: OfferRow & { product_name: string; model: string }) => ({
            ...offerView(r),
            role: roles.get(r.supplier_code) ?? null,
            mayTrade: admitted.has(r.supplier_code) && licencesValid(licences.filter((l) => l.supplier_code === r.supplier_code), day),
            lapsedLicences: licences.filter((l) => l.supplier_code === r.supplier_code && l.expires_on < day).map((l) => ({ kind: l.kind, number: l.number, expiresOn: l.expires_on })),
          })),
        };
      },
    },

    /**
     * GET /api/commodities/designated-points?region=&category=: the admitted designated-point suppliers
     * (定点: vehicle repair, insurance, fuel, printing, conferences) whose active offers in the category
     * serve the region, each with those offers, licences valid today.
     */
    designatedPoints: {
      rest: "GET /designated-points",
      kind: "read",
      permission: "authenticated",
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ region?: string; category?: string }>) {
        const region = ctx.params.region ?? userOf(ctx).tenantCode;
        const problems: ErrorDetail[] = [];
        if (!/^[0-9]{6}$/.test(region)) problems.push(fieldError("/region", "pattern", "应为6位行政区划代码", "must be a 6-digit division code"));
        if (ctx.params.category !== undefined && !/^C[0-9]{0,12}$/.test(ctx.params.category)) problems.push(fieldError("/category", "pattern", "定点采购为服务类品目（C 开头）", "Designated points serve service categories (C…)"));
        if (problems.length) throw validationFailed(problems);
        const rows: Array<OfferRow & { product_name: string; model: string }> = await this.db("commodities_offers as o")
          .join("commodities_products as pr", "pr.id", "o.product_id")
          .join("commodities_admissions as a", "a.supplier_code", "o.supplier_code")
          .where({ "a.role": "designated-point", "a.status": "admitted", "o.status": "active" })
          .where("o.category_code", "like", `${ctx.params.category ?? "C"}%`)
          .whereRaw("o.regions @> array[?]::text[]", [region])
          .orderBy(["o.supplier_name", "o.price"])
          .select("o.*", "pr.name as product_name", "pr.model")
          .limit(500);
        const day = localDate(platformNow());
        const licences = await this.db<LicenceRow>("commodities_licences").whereIn("supplier_code", [...new Set(rows.map((r) => r.supplier_code))]);
        const suppliers = new Map<string, { code: string; name: string; region: string; offers: ReturnType<typeof offerView>[] }>();
        for (const r of rows) {
          if (!licencesValid(licences.filter((l) => l.supplier_code === r.supplier_code), day)) continue;
          const s = suppliers.get(r.supplier_code) ?? { code: r.supplier_code, name: r.supplier_name, region: r.supplier_region, offers: [] };
          s.offers.push(offerView(r));
          suppliers.set(r.supplier_code, s);
        }
        return { region, items: [...suppliers.values()] };
      },
    },

    /**
     * For the e-mall, as its supplier confirms an order: the order's quantities taken from the
     * supplier's own offers, all or none, each only while that much is in stock (two orders for the
     * last item: the first confirmation takes it, the second is refused `409 stock`). Once per order.
     * Not a route.
     */
    takeStock: {
      kind: "continue",
      permission: "authenticated",
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ orderId: string; lines: Array<{ offerId: string; quantity: number }> }>) {
        const u = userOf(ctx);
        const { orderId, lines } = ctx.params;
        if (!isUuid(orderId) || !Array.isArray(lines) || lines.some((l) => !isUuid(l.offerId) || !Number.isInteger(l.quantity) || l.quantity < 1)) {
          throw validationFailed([fieldError("/lines", "lines", "订单明细无效", "The order's lines are not valid")]);
        }
        return this.db.transaction(async (trx) => {
          if (await trx("commodities_stock_takes").where({ order_id: orderId }).first()) return { taken: false, lines };
          const left: Array<{ offerId: string; stock: number }> = [];
          for (const [i, l] of lines.entries()) {
            // the row's own lock decides between two confirmations at once: the second sees what the first left
            const [row] = await trx("commodities_offers").where({ id: l.offerId, supplier_code: u.unitCode ?? "" }).where("stock", ">=", l.quantity).decrement("stock", l.quantity).returning(["stock"]);
            if (!row) {
              const offer = await trx("commodities_offers").where({ id: l.offerId, supplier_code: u.unitCode ?? "" }).first();
              if (!offer) throw validationFailed([fieldError(`/lines/${i}/offerId`, "offer", "不是贵单位的商品报价", "Not an offer of yours")]);
              throw conflict({ "zh-CN": `库存不足：该商品仅剩 ${offer.stock} 件，订单需要 ${l.quantity} 件`, en: `Not enough stock: ${offer.stock} left, the order needs ${l.quantity}` }, { rule: "stock", offerId: l.offerId, stock: offer.stock, quantity: l.quantity });
            }
            left.push({ offerId: l.offerId, stock: row.stock });
          }
          await trx("commodities_stock_takes").insert({ order_id: orderId, supplier_code: u.unitCode, lines: JSON.stringify(lines), taken_at: platformNow() });
          return { taken: true, lines: left };
        });
      },
    },

    pavilions: {
      rest: "GET /pavilions/:tenantCode",
      kind: "read",
      permission: "public",
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ tenantCode: string }>) {
        const rows = await this.db("commodities_pavilions").where({ tenant_code: ctx.params.tenantCode }).orderBy("key");
        return { items: rows.map((r) => ({ key: r.key, kind: r.kind, title: r.title, titleEn: r.title_en, categories: r.categories, supplierRegions: r.supplier_regions })) };
      },
    },

    putPavilion: {
      rest: "PUT /pavilions/:tenantCode/:key",
      kind: "continue",
      permission: "authenticated",
      async handler(this: PluginServiceThis, ctx: PlatformContext<{ tenantCode: string; key: string; kind?: string; title?: string; titleEn?: string; categories?: unknown; supplierRegions?: unknown }>) {
        const u = userOf(ctx);
        if (!u.roles.includes("platform-admin") && !(u.roles.includes("tenant-admin") && u.tenantCode === ctx.params.tenantCode)) throw forbidden();
        const p = ctx.params;
        const problems: ErrorDetail[] = [];
        if (!/^[a-z0-9-]{1,40}$/.test(p.key)) problems.push(fieldError("/key", "pattern", "场馆标识为小写字母、数字和连字符", "a pavilion key is lowercase letters, digits and hyphens"));
        if (!["central", "featured", "industry", "supermarket"].includes(String(p.kind))) problems.push(fieldError("/kind", "enum", "应为集采馆、特色馆、行业馆或网上超市", "must be central, featured, industry or supermarket"));
        if (!str(p.title) || !str(p.titleEn)) problems.push(fieldError("/title", "required", "请填写中英文名称", "give the Chinese and English titles"));
        const list = (v: unknown) => (Array.isArray(v) && v.every((x) => typeof x === "string" && x.length <= 20) ? (v as string[]) : null);
        if (!list(p.categories ?? [])) problems.push(fieldError("/categories", "type", "应为品目编码前缀的列表", "must be a list of category code prefixes"));
        if (!list(p.supplierRegions ?? [])) problems.push(fieldError("/supplierRegions", "type", "应为行政区划代码的列表", "must be a list of division codes"));
        if (problems.length) throw validationFailed(problems);
        const row = { tenant_code: p.tenantCode, key: p.key, kind: p.kind, title: str(p.title), title_en: str(p.titleEn), categories: list(p.categories ?? []), supplier_regions: list(p.supplierRegions ?? []) };
        await this.db.transaction(async (trx) => {
          await trx("commodities_pavilions").insert(row).onConflict(["tenant_code", "key"]).merge();
          await writeAudit(trx, { actor: actorOf(u), tenantCode: p.tenantCode, action: "commodities.pavilion.put", object: `${p.tenantCode}/${p.key}`, after: row });
        });
        return { key: row.key, kind: row.kind, title: row.title, titleEn: row.title_en, categories: row.categories, supplierRegions: row.supplier_regions };
      },
    },
  },
};

