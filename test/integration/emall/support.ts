import fs from "node:fs";
import path from "node:path";
import { startTestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";
import { type Lifecycle, SUPPLIERS, UNITS } from "../supervision/support";

const ROOT = path.resolve(__dirname, "../../..");
/** the e-mall and what it stands on; e-trading declares the eligibility point the auctions consume */
export const MALL_PLUGINS = ["registries", "supervision", "etrading", "commodities", "emall"];

/**
 * supervision's test lifecycle (its registries, people and tokens) on a platform of the e-mall and the
 * plugins it depends on only (and `extra`: credit for the related-parties screening), linked into a
 * folder of their own: other plugins' work in progress cannot stop these tests.
 */
export async function mallLifecycle(extra: string[] = []): Promise<Lifecycle> {
  const pluginsDir = linkPlugins([...MALL_PLUGINS, ...extra], "emall-plugins");
  const platform = await startTestPlatform({ deadlineCheckMs: 100, pluginsDir, formsDir: path.join(ROOT, "forms") });
  const stop = platform.stop.bind(platform);
  platform.stop = async () => {
    await stop();
    fs.rmSync(pluginsDir, { recursive: true, force: true });
  };
  const tokens: Record<string, string> = { admin: await platform.token({ roles: ["platform-admin"], tenantCode: "440000" }) };
  const users: Record<string, { roles: string[]; tenantCode: string; unitCode?: string }> = {
    buyer: { roles: ["purchaser"], tenantCode: "441300", unitCode: UNITS.buyer.budgetCode },
    otherBuyer: { roles: ["purchaser"], tenantCode: "441300", unitCode: UNITS.otherBuyer.budgetCode },
    regulator: { roles: ["regulator"], tenantCode: "441300" },
    smallSupplier: { roles: ["supplier"], tenantCode: "441300", unitCode: SUPPLIERS.small.creditCode },
    largeSupplier: { roles: ["supplier"], tenantCode: "440100", unitCode: SUPPLIERS.large.creditCode },
  };
  for (const [who, u] of Object.entries(users)) tokens[who] = await platform.token(u);
  const call: Lifecycle["call"] = (who, p, init = {}) => platform.api(p, { ...init, token: tokens[who] });
  const made = async (p: string, body: unknown) => {
    const r = await call("admin", p, { method: "POST", body });
    if (r.status !== 201 && r.status !== 200) throw new Error(`${p}: ${r.status} ${JSON.stringify(r.body)}`);
  };
  for (const u of Object.values(UNITS)) await made("/api/registries/purchasers", { ...u, unitType: "government-agency" });
  for (const s of Object.values(SUPPLIERS)) await made("/api/registries/suppliers", { ...s, contactName: "王经理", contactPhone: "13800138000" });
  return {
    platform,
    tokens,
    call,
    start: (who, workflow, data) => call(who, `/api/workflows/${workflow}/instances`, { method: "POST", body: { data } }),
    take: (who, id, name, data) => call(who, `/api/instances/${id}/transitions/${name}`, { method: "POST", body: data === undefined ? {} : { data } }),
    travel: (date) => platform.kernel.clock.travelTo(date.length === 10 ? `${date}T10:00:00+08:00` : date),
  };
}
