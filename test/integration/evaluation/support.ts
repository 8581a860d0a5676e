import fs from "node:fs";
import path from "node:path";
import { isWorkingDay, localDate } from "../../../core/sdk";
import { startTestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";
import { newKeyPair, newSigningKey, openShare, type SealedBid } from "../../../plugins/etrading/sealed";
import { type BidsWorld, packageOf, publishedTender, registerCustodianKeys, sealAs, SUPPLIERS, submit, UNITS } from "../etrading/bids-support";

const ROOT = path.resolve(__dirname, "../../..");
export { SUPPLIERS, UNITS };

export interface EvalWorld extends BidsWorld {
  tokens: BidsWorld["tokens"] & { regulator: string; otherCityAgency: string };
  /** admitted experts' accounts: their tokens and account ids */
  experts: Array<{ token: string; id: string }>;
  /** a working day ahead: the drawings' slot */
  slotDate: string;
}

/** A platform with the evaluation plugin and what it depends on, each linked into a folder of its own; `more` plugins beside them (the e2e's complaints and portal). */
export async function startEvalWorld(experts = 7, more: string[] = []): Promise<EvalWorld> {
  const pluginsDir = linkPlugins(["registries", "supervision", "etrading", "experts", "evaluation", "analytics", ...more], "evaluation-plugins");
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
    // each applies to the registry and the regulator admits it: the drawing draws admitted experts only
    const data = { name: `专家${i}`, phone: "13800138000", employerName: `惠州市第${i}设计院`, employerCode: `91441300MA0000EX${String(i).padStart(2, "0")}`, titles: ["高级工程师"], specialities: ["A0302"], region: tenantCode, availability: "any" };
    const applied = await platform.api("/api/workflows/experts.application/instances", { method: "POST", token, body: { data } });
    const admitted = await platform.api(`/api/instances/${applied.body.id}/transitions/admit`, { method: "POST", token: supervisor, body: { data: { reason: "材料齐全" } } });
    if (admitted.status !== 200) throw new Error(`admit expert ${i}: ${applied.status} ${admitted.status} ${JSON.stringify(admitted.body)}`);
    list.push({ token, id: row.id as string });
  }
  // far enough ahead that the tests' clock travels (the award clock's days) never pass it
  let d = new Date(Date.now() + 30 * 86_400_000);
  while (!isWorkingDay(localDate(d))) d = new Date(d.getTime() + 86_400_000);
  return { platform, pluginsDir, tokens, suppliers, experts: list, slotDate: localDate(d), keys: { agency: newKeyPair(), purchaser: newKeyPair(), supervisor: newKeyPair() }, signingKeys: SUPPLIERS.map(() => newSigningKey()) };
}

export async function stopEvalWorld(w: EvalWorld | undefined): Promise<void> {
  await w?.platform.stop();
  if (w) fs.rmSync(w.pluginsDir, { recursive: true, force: true });
}

/**
 * A public tender whose bidders (suppliers 0..n-1) bid these prices, opened and recorded: the opening
 * closed by the agency, then the tender's row as the `record-opening` step leaves it (status `opened`).
 */
export async function openedTender(w: EvalWorld, prices: string[], opts: { record?: boolean; documents?: Record<string, unknown>; notes?: string[] } = {}): Promise<string> {
  const deadline = new Date(Math.ceil(w.platform.kernel.clock.now().getTime() / 1000) * 1000 + 3600_000);
  const tender = await publishedTender(w, deadline);
  await registerCustodianKeys(w, tender);
  for (const [i, price] of prices.entries()) {
    const r = await submit(w, i, tender, await sealAs(w, i, tender, opts.notes ? fileOf(price, opts.notes[i]) : packageOf(price)));
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
  // the documents' declarations as the publish step keeps them (e-trading's DOCUMENT_FIELDS)
  if (opts.documents) await w.platform.kernel.db.knex("etrading_tenders").where({ id: tender }).update({ documents: JSON.stringify(opts.documents) });
  return tender;
}

/**
 * The tender's committee through the experts' drawing: the agency draws `size` experts for the slot, every
 * invited expert accepts, the drawing completes. Answers the members in drawing order.
 */
export async function drawnCommittee(w: EvalWorld, tender: string, size = 5, slot: "am" | "pm" = "am", slotDate = w.slotDate): Promise<Array<{ token: string; id: string }>> {
  const api = (p: string, token: string, body?: unknown) => w.platform.api(p, { method: "POST", token, body });
  const started = await api("/api/workflows/experts.drawing/instances", w.tokens.agency, { data: { tenderId: tender, committeeSize: size, experts: size, specialities: ["A03"], region: "441300", slotDate, slot } });
  if (started.status !== 201) throw new Error(`drawing: ${started.status} ${JSON.stringify(started.body)}`);
  const drawn = await api(`/api/instances/${started.body.id}/transitions/draw`, w.tokens.agency, {});
  if (drawn.status !== 200) throw new Error(`draw: ${drawn.status} ${JSON.stringify(drawn.body)}`);
  const order: string[] = [];
  for (const e of w.experts) {
    const me = await w.platform.api("/api/experts/me", { token: e.token });
    const inv = me.body.invitations.find((x: { status: string; tenderId: string; slot: string }) => x.status === "invited" && x.tenderId === tender && x.slot === slot);
    if (!inv) continue;
    const ok = await api(`/api/experts/invitations/${inv.id}/accept`, e.token);
    if (ok.status !== 200) throw new Error(`accept: ${ok.status} ${JSON.stringify(ok.body)}`);
  }
  const done = await api(`/api/instances/${started.body.id}/transitions/complete`, w.tokens.agency, {});
  if (done.status !== 200) throw new Error(`complete: ${done.status} ${JSON.stringify(done.body)}`);
  const rows = await w.platform.kernel.db.knex("experts_invitations as i").join("experts_experts as x", "x.id", "i.expert_id")
    .where({ "i.drawing_id": started.body.data.drawingId, "i.status": "accepted" }).orderBy("i.position").select("x.account_id");
  for (const r of rows) order.push(r.account_id);
  return order.map((id) => w.experts.find((e) => e.id === id)!);
}

/** A bid whose one file is exactly this text: two bidders given the same text hand in the same file. */
const fileOf = (price: string, text: string) => ({ form: { price, note: text }, files: [{ name: "技术响应.txt", type: "text/plain", content: Buffer.from(text).toString("base64") }] });
