import { definePlugin, provide, unitsPoint } from "../../core/sdk";
import { registriesDemo } from "./demo";
import { purchasersService } from "./services/purchasers";
import { suppliersService } from "./services/suppliers";
import { agenciesService } from "./services/agencies";
import { unitsService } from "./services/units";
import { PUBLIC_PURCHASER_FIELDS, REGIONAL_PURCHASER_FIELDS } from "./services/purchaser-model";
import { PUBLIC_SUPPLIER_FIELDS, SUPPLIER_CONTACT_FIELDS } from "./services/supplier-model";
import { AGENCY_CONTACT_FIELDS, PUBLIC_AGENCY_FIELDS } from "./services/agency-model";

const MANAGE = ["create", "read", "update", "import", "delete"];

export default definePlugin({
  name: "registries",
  title: { "zh-CN": "基础信息库", en: "Base registries" },
  description: {
    "zh-CN": "采购人、评审专家、代理机构、供应商与商品的基础信息",
    en: "Purchasing units, review experts, agencies, suppliers and commodities",
  },
  version: "0.2.0",
  // Every tenant always has its registries: the other modules cannot work without them.
  gated: false,
  services: [purchasersService, suppliersService, agenciesService, unitsService],
  // the kernel checks the unit codes of accounts and pilots against these registries
  extends: { ...provide(unitsPoint, { resolve: "registries.units.resolve" }) },
  migrations: "migrations",
  demo: registriesDemo,
  forms: ["registries.purchaser", "registries.supplier", "registries.agency"],
  permissions(user, { can, tenantScope }) {
    const roles = new Set(user.roles);
    const inScope = { tenantCode: { $in: tenantScope } };
    if (roles.has("tenant-admin")) can(MANAGE, "Purchaser", inScope);
    // Purchasing units are named in every public notice: those who work on procurement in a
    // region may look them up there. A unit's budget code is its accounts' first password: the
    // regulators of the region and the unit itself see it, other units and agencies do not.
    if (roles.has("regulator")) can("read", "Purchaser", inScope);
    if (roles.has("purchaser") || roles.has("agency")) can("read", "Purchaser", [...REGIONAL_PURCHASER_FIELDS], inScope);
    if (roles.has("purchaser") && user.unitCode) can("read", "Purchaser", { budgetCode: user.unitCode, ...inScope });
    // Suppliers, experts and banks meet units of every region in notices and contracts: they see
    // who a unit is, not its budget code (the first password of its accounts) or its contacts.
    if (roles.has("supplier") || roles.has("expert") || roles.has("bank")) can("read", "Purchaser", [...PUBLIC_PURCHASER_FIELDS]);
    // A purchaser keeps its own contact details current; the rest is the tenant admin's.
    if (roles.has("purchaser") && user.unitCode) {
      can("update", "Purchaser", ["contactName", "contactPhone", "contactEmail", "address"], { budgetCode: user.unitCode });
    }

    // Suppliers and agencies work across regions and are named in public award notices: whoever is
    // signed in may see who they are. How to reach them is for those who oversee them, and for
    // themselves (their accounts' unit code is their credit code), who keep it current.
    can("read", "Supplier", [...PUBLIC_SUPPLIER_FIELDS]);
    can("read", "Agency", [...PUBLIC_AGENCY_FIELDS]);
    const inRegion = { region: { $in: tenantScope } };
    const servesScope = { tenantsServed: { $in: tenantScope } };
    // Each record has one owner: the administrators of the region it is registered in (and those
    // above). For an agency that is its home region, not the tenants it serves: an agency serving
    // Huizhou and Maoming is not Maoming's to rename or deregister, though Maoming oversees its work there.
    if (roles.has("tenant-admin")) {
      can(MANAGE, "Supplier", inRegion);
      can(MANAGE, "Agency", inRegion);
      can("read", "Agency", servesScope);
    }
    if (roles.has("regulator")) {
      can("read", "Supplier", inRegion);
      can("read", "Agency", inRegion);
      can("read", "Agency", servesScope);
    }
    if (roles.has("supplier") && user.unitCode) {
      can("read", "Supplier", { creditCode: user.unitCode });
      can("update", "Supplier", [...SUPPLIER_CONTACT_FIELDS], { creditCode: user.unitCode });
    }
    if (roles.has("agency") && user.unitCode) {
      can("read", "Agency", { creditCode: user.unitCode });
      can("update", "Agency", [...AGENCY_CONTACT_FIELDS], { creditCode: user.unitCode });
    }
  },
});
