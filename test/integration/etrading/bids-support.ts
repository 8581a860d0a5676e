import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";
import { newKeyPair, newSigningKey, sealBid, softwareSigner, toBase64, type BidPackage, type SealedBid } from "../../../plugins/etrading/sealed";

const ROOT = path.resolve(__dirname, "../../..");

/** The units of the Huizhou demo: the agency, the purchasing unit and the finance bureau (supervisor). */
export const UNITS = { agency: "441300801", purchaser: "441300401", supervisor: "441300001" };
export const CUSTODIANS = ["agency", "purchaser", "supervisor"] as const;
export const SUPPLIERS = ["91441300MA00000001", "91441300MA00000002", "91441300MA00000003", "91441300MA00000004"];

export interface BidsWorld {
  platform: TestPlatform;
  pluginsDir: string;
  tokens: Record<"agency" | "purchaser" | "supervisor" | "outsider", string>;
  /** suppliers[0..2] obtained the documents; suppliers[3] did not */
  suppliers: string[];
  /** each custodian's key pair, as its browser keeps it */
  keys: Record<(typeof CUSTODIANS)[number], { privateKey: string; publicKey: string }>;
  signingKeys: string[];
}

/**
 * A platform with e-trading and the plugins it depends on, each in a folder of links so that other
 * plugins' work in progress cannot stop it.
 */
export async function startBidsWorld(): Promise<BidsWorld> {
  const pluginsDir = linkPlugins(["registries", "supervision", "etrading"], "etrading-bids-plugins");
  const platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms") });
  const tenantCode = "441300";
  const tokens = {
    agency: await platform.token({ tenantCode, roles: ["agency"], unitCode: UNITS.agency }),
    purchaser: await platform.token({ tenantCode, roles: ["purchaser"], unitCode: UNITS.purchaser }),
    supervisor: await platform.token({ tenantCode, roles: ["regulator"], unitCode: UNITS.supervisor }),
    outsider: await platform.token({ tenantCode, roles: ["purchaser"], unitCode: "441300999" }),
  };
  const suppliers: string[] = [];
  for (const code of SUPPLIERS) suppliers.push(await platform.token({ tenantCode, roles: ["supplier"], unitCode: code }));
  return {
    platform,
    pluginsDir,
    tokens,
    suppliers,
    keys: { agency: newKeyPair(), purchaser: newKeyPair(), supervisor: newKeyPair() },
    signingKeys: SUPPLIERS.map(() => newSigningKey()),
  };
}

export async function stopBidsWorld(w: BidsWorld | undefined): Promise<void> {
  await w?.platform.stop();
  if (w) fs.rmSync(w.pluginsDir, { recursive: true, force: true });
}

/**
 * A published public tender as the procedure leaves it (E1's workflow writes the same row): three
 * custodians, 2 of 3 to open, suppliers 0-2 registered.
 */
export async function publishedTender(w: BidsWorld, deadline: Date, extra: { maxPrice?: string; config?: Record<string, unknown>; method?: string } = {}): Promise<string> {
  const knex = w.platform.kernel.db.knex;
  const id = randomUUID();
  const now = new Date();
  await knex("etrading_tenders").insert({
    id, instance_id: randomUUID(), tenant_code: "441300", unit: UNITS.purchaser, unit_name: "惠州市交通运输局", agency_code: UNITS.agency,
    method: extra.method ?? "public-tender", title: "惠州市某路段照明采购", max_price: extra.maxPrice ?? "500000.00", published_at: now, bid_deadline: deadline, opening_at: deadline,
    // the custodian places as the publish step writes them (services/tenders.ts): no budget code
    status: "published", custodians: JSON.stringify([{ role: "agency", unit: UNITS.agency }, { role: "purchaser", unitName: "惠州市交通运输局" }, { role: "supervisor", tenantCode: "441300" }]),
    config: JSON.stringify({ invitation: "notice", minBidders: { rule: "tender.minBidders", value: 3 }, bidderListConfidential: true, ...extra.config }),
    docs_version: 1, created_at: now, updated_at: now,
  });
  await knex("etrading_registrations").insert(SUPPLIERS.slice(0, 3).map((code, i) => ({ tender_id: id, supplier_code: code, supplier_name: `惠州市第${i + 1}照明科技有限公司`, registered_at: now })));
  return id;
}

/** Each custodian makes its key in its browser and gives the server the public half. */
export async function registerCustodianKeys(w: BidsWorld, tenderId: string): Promise<void> {
  for (const c of CUSTODIANS) {
    const r = await w.platform.api(`/api/etrading/tenders/${tenderId}/custodians/${c}/key`, { method: "PUT", token: w.tokens[c], body: { publicKey: w.keys[c].publicKey } });
    expect([c, r.status]).toEqual([c, 200]);
  }
}

export const packageOf = (price: string, note = "技术响应：LED 路灯 120 套，质保五年"): BidPackage => ({
  form: { price, note },
  files: [{ name: "技术响应.txt", type: "text/plain", content: toBase64(new TextEncoder().encode(`${note}｜报价 ${price}`)) }],
});

/** What supplier i's browser does: fetch the sealing parameters, seal, sign. */
export async function sealAs(w: BidsWorld, i: number, tenderId: string, pkg: BidPackage): Promise<SealedBid> {
  const r = await w.platform.api(`/api/etrading/tenders/${tenderId}/sealing`, { token: w.suppliers[i] });
  expect(r.status).toBe(200);
  const s = r.body as { custodians: Array<{ id: string; publicKey: string }>; threshold: number };
  return sealBid({ tenderId, package: pkg, custodians: s.custodians, threshold: s.threshold, signer: softwareSigner(w.signingKeys[i]) });
}

export const submit = (w: BidsWorld, i: number, tenderId: string, bid: unknown, headers: Record<string, string> = {}) =>
  w.platform.api(`/api/etrading/tenders/${tenderId}/bids`, { method: "POST", token: w.suppliers[i], body: { bid }, headers });
