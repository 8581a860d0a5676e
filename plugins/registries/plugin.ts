import { definePlugin } from "../../core/plugins/types";
import { purchasersService } from "./services/purchasers";
import { PUBLIC_PURCHASER_FIELDS } from "./services/purchaser-model";

export default definePlugin({
  name: "registries",
  title: { "zh-CN": "基础信息库", en: "Base registries" },
  description: {
    "zh-CN": "采购人、评审专家、代理机构、供应商与商品的基础信息",
    en: "Purchasing units, review experts, agencies, suppliers and commodities",
  },
  version: "0.1.0",
  // Every tenant always has its registries: the other modules cannot work without them.
  gated: false,
  services: [purchasersService],
  migrations: "migrations",
  forms: ["registries.purchaser"],
  permissions(user, { can, tenantScope }) {
    const roles = new Set(user.roles);
    const inScope = { tenantCode: { $in: tenantScope } };
    if (roles.has("tenant-admin")) can(["create", "read", "update", "import", "delete"], "Purchaser", inScope);
    // Purchasing units are named in every public notice: those who work on procurement in a
    // region may look them up there.
    if (roles.has("regulator") || roles.has("purchaser") || roles.has("agency")) can("read", "Purchaser", inScope);
    // Suppliers, experts and banks meet units of every region in notices and contracts: they see
    // who a unit is, not its budget code (the first password of its accounts) or its contacts.
    if (roles.has("supplier") || roles.has("expert") || roles.has("bank")) can("read", "Purchaser", [...PUBLIC_PURCHASER_FIELDS]);
    // A purchaser keeps its own contact details current; the rest is the tenant admin's.
    if (roles.has("purchaser") && user.unitCode) {
      can("update", "Purchaser", ["contactName", "contactPhone", "contactEmail", "address"], { budgetCode: user.unitCode });
    }
  },
});
