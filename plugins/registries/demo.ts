import type { DemoTools } from "../../core/sdk";

interface AccountItem { username: string; displayName: string; tenantCode: string; unitCode: string | null; roles: string[] }

/**
 * Every unit with a demo account gets its registry record, named as the account is: purchasing
 * units, the supplier (a small enterprise, so the SME rules show) and the agency.
 */
export async function registriesDemo(d: DemoTools): Promise<void> {
  const admin = d.as(d.admin);
  const accounts = (await admin<{ items: AccountItem[] }>("accounts.list", { pageSize: "200" })).items.filter((a) => a.unitCode);
  const contact = { contactName: "演示联系人", contactPhone: "0752-2281234" };
  const seen = new Set<string>();
  for (const a of accounts) {
    const unit = a.unitCode!;
    if (seen.has(unit)) continue;
    seen.add(unit);
    if (a.roles.includes("purchaser")) {
      await admin("registries.purchasers.create", { name: a.displayName, budgetCode: unit, tenantCode: a.tenantCode, unitType: "government-agency", ...contact });
    } else if (a.roles.includes("supplier")) {
      await admin("registries.suppliers.create", { name: a.displayName, creditCode: unit, sizeClass: "small", region: a.tenantCode, ...contact });
    } else if (a.roles.includes("agency")) {
      await admin("registries.agencies.create", {
        name: a.displayName, creditCode: unit, region: a.tenantCode, tenantsServed: [a.tenantCode],
        accreditation: { recordNumber: `演示-${a.tenantCode}-001`, registeredOn: "2020-06-01", authority: "440000" }, ...contact,
      });
    }
  }
  d.log(`[demo] registries: ${seen.size} units registered from the demo accounts`);
}
