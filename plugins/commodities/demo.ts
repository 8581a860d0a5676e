import type { DemoTools } from "../../core/sdk";
import { LEAVES } from "./services/catalogue";

const SUPPLIERS = ["huizhou.supplier", "huizhou.supplier2", "huizhou.supplier3"] as const;
const BRANDS = ["华为", "联想", "浪潮", "曙光", "得力", "齐心", "格力", "美的", "奔图", "长城", "同方", "海信", "雷士", "欧普", "震旦", "比亚迪"];
const CPUS = ["鲲鹏920", "飞腾D2000", "龙芯3A6000", "海光C86-3250", "兆芯KX-7000"];
const PRODUCTS = 1040;

/** A deterministic pseudo-random sequence, so that every demo database has the same catalogue. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

type Prop = { type: string; enum?: string[]; minimum?: number; maximum?: number; title?: string };

/** Plausible attribute values from the category's schema: within its bounds, from its lists. */
function attributesFor(schema: Record<string, unknown>, r: () => number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, p] of Object.entries((schema.properties ?? {}) as Record<string, Prop>)) {
    if (p.enum) out[k] = p.enum[Math.floor(r() * p.enum.length)];
    else if (p.type === "boolean") out[k] = r() < 0.5;
    else if (p.type === "integer") {
      const lo = p.minimum ?? 0, hi = Math.min(p.maximum ?? 100, lo * 64 || 64);
      out[k] = Math.round(lo + r() * (hi - lo));
    } else if (p.type === "number") out[k] = Math.round(((p.minimum ?? 0) + r() * ((p.maximum ?? 10) - (p.minimum ?? 0))) * 10) / 10;
    else out[k] = k === "cpu" ? CPUS[Math.floor(r() * CPUS.length)] : `${p.title ?? k}${Math.ceil(r() * 9)}型`;
  }
  return out;
}

/**
 * The Huizhou demo suppliers admitted (a manufacturer, a dealer, a designated point for services),
 * 1,040 products over every leaf category with offers from them, and Huizhou's pavilions.
 */
export async function commoditiesDemo(d: DemoTools): Promise<void> {
  const admin = d.as(d.admin);
  const roles = ["manufacturer", "dealer", "designated-point"];
  for (const [i, who] of SUPPLIERS.entries()) {
    const me = d.as(who);
    const { supplierCode } = await me<{ supplierCode: string }>("commodities.apply", {
      role: roles[i],
      licences: [{ kind: "营业执照", number: `91441300DEMO${i}`, expiresOn: "2030-12-31" }, { kind: i === 2 ? "机动车维修经营备案" : "质量管理体系认证", number: `Q-${2020 + i}-00${i}`, expiresOn: "2028-06-30" }],
    });
    await admin("commodities.review", { code: supplierCode, decision: "admitted", note: "资料齐全" });
  }
  const r = rng(20210101);
  // the catalogue in bulk, as a supplier's import would bring it: one request per maker and per seller
  const planned = Array.from({ length: PRODUCTS }, (_, n) => {
    const leaf = LEAVES[n % LEAVES.length];
    // services by the designated point; goods and works by the manufacturer, resold by the dealer
    const services = leaf.code.startsWith("C");
    const brand = services || leaf.code.startsWith("B") ? `惠州${["鹏程", "安达", "诚信", "顺景", "大亚湾"][n % 5]}` : BRANDS[Math.floor(r() * BRANDS.length)];
    return {
      services,
      base: 50 + Math.round(r() * (services ? 5000 : 20000)),
      product: { categoryCode: leaf.code, brand, model: `${leaf.code.slice(-3)}-${String(n).padStart(4, "0")}`, name: `${brand}${leaf.name}`, attributes: attributesFor(leaf.attributes!, r), specifications: `${leaf.name}，符合国家相关标准，含运输、安装与培训。` },
    };
  });
  const ids = new Map<object, string>();
  for (const [maker, services] of [["huizhou.supplier", false], ["huizhou.supplier3", true]] as const) {
    const mine = planned.filter((p) => p.services === services);
    const { items } = await d.as(maker)<{ items: Array<{ id: string }> }>("commodities.importProducts", { products: mine.map((p) => p.product) });
    mine.forEach((p, i) => ids.set(p, items[i].id));
  }
  let offers = 0;
  for (const [j, who] of SUPPLIERS.entries()) {
    const sells = planned.filter((p) => (j === 2 ? p.services : !p.services));
    const list = sells.map((p) => ({
      productId: ids.get(p)!, price: (p.base * (1 + (j === 1 ? 0.04 : 0))).toFixed(2), stock: 5 + Math.floor(r() * 500),
      regions: r() < 0.3 ? ["441300", "441302", "440100"] : ["441300", "441302"], deliveryDays: 2 + Math.floor(r() * 10), warrantyMonths: p.services ? 3 : 12 + 12 * Math.floor(r() * 3),
    }));
    await d.as(who)("commodities.importOffers", { offers: list });
    offers += list.length;
  }
  const pavilions = [
    { key: "central", kind: "central", title: "集采馆", titleEn: "Central purchasing", categories: ["A0201", "A0202"] },
    { key: "huizhou-rural", kind: "featured", title: "惠州乡村振兴馆", titleEn: "Huizhou rural revitalisation", supplierRegions: ["441300", "441302"] },
    { key: "vehicles", kind: "industry", title: "车辆服务馆", titleEn: "Vehicle services", categories: ["C23"] },
    { key: "supermarket", kind: "supermarket", title: "网上超市", titleEn: "Online supermarket", categories: ["A05", "A09"] },
  ];
  for (const p of pavilions) await admin("commodities.putPavilion", { tenantCode: "441300", ...p });
  d.log(`[demo] commodities: ${PRODUCTS} products in ${LEAVES.length} categories, ${offers} offers, ${pavilions.length} Huizhou pavilions`);
}
