import { contribute, definePlugin, initialCredentialPoint, provide, unitsPoint } from "../../core/sdk";
import { registriesDemo } from "./demo";
import { registryServices } from "./services/registries";
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
  // a unit's budget code is its accounts' first password (below): never in a log
  secretFields: ["budgetCode", "budget_code"],
  services: [...registryServices, unitsService],
  // The people of the registered units; what each may do is in `permissions` below.
  roles: {
    purchaser: { title: { "zh-CN": "采购人", en: "purchaser" } },
    agency: { title: { "zh-CN": "代理机构", en: "agency" } },
    supplier: { title: { "zh-CN": "供应商", en: "supplier" } },
    expert: { title: { "zh-CN": "评审专家", en: "expert" } },
  },
  extends: {
    // the kernel checks the unit codes of accounts and pilots against these registries
    ...provide(unitsPoint, { resolve: "registries.units.resolve" }),
    // DESIGN.md §5 (粤财采购函〔2020〕59号): an imported account first signs in with its unit's
    // budget code and must change it. The shape is that of the registry's budget codes.
    ...contribute(initialCredentialPoint, {
      column: "budget_code",
      label: { "zh-CN": "预算单位编码", en: "budget code" },
      pattern: "[0-9]{3,20}(\\.[0-9]{1,10}){0,5}",
      minLength: 3,
      maxLength: 40,
      message: { "zh-CN": "预算单位编码应为数字，可用点分级", en: "a budget unit code is digits, optionally in dot-separated levels" },
    }),
  },
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
