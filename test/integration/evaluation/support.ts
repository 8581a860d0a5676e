import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startTestPlatform } from "../../support/kernel";
import { newKeyPair, newSigningKey, openShare, type SealedBid } from "../../../plugins/etrading/sealed";
import { type BidsWorld, packageOf, publishedTender, registerCustodianKeys, sealAs, SUPPLIERS, submit, UNITS } from "../etrading/bids-support";

const ROOT = path.resolve(__dirname, "../../..");
export { SUPPLIERS, UNITS };

export interface EvalWorld extends BidsWorld {
  tokens: BidsWorld["tokens"] & { regulator: string; otherCityAgency: string };
  /** expert accounts: their tokens and ids */
  experts: Array<{ token: string; id: string }>;
}

/** A platform with the evaluation plugin and what it depends on, each linked into a folder of its own. */
export async function startEvalWorld(experts = 7): Promise<EvalWorld> {
  const pluginsDir = fs.mkdtempSync(path.join(os.tmpdir(), "evaluation-plugins-"));
  for (const p of ["registries", "supervision", "etrading", "evaluation"]) fs.symlinkSync(path.join(ROOT, "plugins", p), path.join(pluginsDir, p), "dir");
  const platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms") });
  const tenantCode = "441300";
  const supervisor = await platform.token({ tenantCode, roles: ["regulator"], unitCode: UNITS.supervisor });
  const tokens = {
    agency: await platform.token({ tenantCode, roles: ["agency"], unitCode: UNITS.agency }),
    purchaser: await platform.token({ tenantCode, roles: ["purchaser"], unitCode: UNITS.purchaser }),
    supervisor,
    regulator: supervisor,
    outsider: await platform.token({ tenantCode, roles: ["purchaser"], unitCode: "441300999" }),
    // Maoming's agency: another city
    otherCityAgency: await platform.token({ tenantCode: "440900", roles: ["agency"], unitCode: "440900801" }),
  };
  const suppliers: string[] = [];
  for (const code of SUPPLIERS) suppliers.push(await platform.token({ tenantCode, roles: ["supplier"], unitCode: code }));
  const list = [];
  for (let i = 0; i < experts; i++) {
    const username = `eval-expert-${i}-${Math.random().toString(36).slice(2, 8)}`;
    const token = await platform.token({ tenantCode, roles: ["expert"], username });
    const row = await platform.kernel.db.knex("core_accounts").where({ username }).first("id");
    list.push({ token, id: row.id as string });
  }
  return { platform, pluginsDir, tokens, suppliers, experts: list, keys: { agency: newKeyPair(), purchaser: newKeyPair(), supervisor: newKeyPair() }, signingKeys: SUPPLIERS.map(() => newSigningKey()) };
}

export async function stopEvalWorld(w: EvalWorld | undefined): Promise<void> {
  await w?.platform.stop();
  if (w) fs.rmSync(w.pluginsDir, { recursive: true, force: true });
}

/**
 * A public tender whose bidders (suppliers 0..n-1) bid these prices, opened and recorded: the opening
 * closed by the agency, then the tender's row as the `record-opening` step leaves it (status `opened`).
 */
export async function openedTender(w: EvalWorld, prices: string[], opts: { record?: boolean } = {}): Promise<string> {
  const deadline = new Date(Math.ceil(w.platform.kernel.clock.now().getTime() / 1000) * 1000 + 3600_000);
  const tender = await publishedTender(w, deadline);
  await registerCustodianKeys(w, tender);
  for (const [i, price] of prices.entries()) {
    const r = await submit(w, i, tender, await sealAs(w, i, tender, packageOf(price)));
    if (r.status !== 201) throw new Error(`bid ${i}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  w.platform.kernel.clock.travelTo(new Date(deadline.getTime() + 1000));
  // two custodians of three hand in their shares: every bid opens with its price
  for (const c of ["agency", "purchaser"] as const) {
    const f = await w.platform.api(`/api/etrading/tenders/${tender}/opening/custodians/${c}/shares`, { token: w.tokens[c] });
    const shares = f.body.bids.map((x: { bidId: string; tenderId: string; shares: SealedBid["shares"] }) => ({ bidId: x.bidId, share: openShare(x, c, w.keys[c].privateKey) }));
    const r = await w.platform.api(`/api/etrading/tenders/${tender}/opening/shares`, { method: "POST", token: w.tokens[c], body: { custodian: c, shares } });
    if (r.status !== 200) throw new Error(`shares ${c}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  const closed = await w.platform.api(`/api/etrading/tenders/${tender}/opening/close`, { method: "POST", token: w.tokens.agency });
  if (closed.status !== 200) throw new Error(`close: ${closed.status} ${JSON.stringify(closed.body)}`);
  if (opts.record !== false) await w.platform.kernel.db.knex("etrading_tenders").where({ id: tender }).update({ status: "opened" });
  return tender;
}
