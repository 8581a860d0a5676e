import { definePlugin } from "../../core/sdk";
import { projectsService } from "./services/projects";
import { hooks } from "./services/rules";
import { supervisionDemo } from "./demo";
import { contractHolds, contractRecords, paymentLocks } from "./api";

const STAGE_FORMS = ["intention", "plan", "return", "channel", "result", "contract", "acceptance", "acknowledge", "payment", "paid"];

export default definePlugin({
  name: "supervision",
  title: { "zh-CN": "监督管理系统", en: "Supervision" },
  description: {
    "zh-CN": "采购项目从意向公开、计划备案、执行、合同备案、履约验收到合同支付的全过程",
    en: "A procurement project from the published intention through plan filing, execution, contract filing and acceptance to payment",
  },
  version: "0.1.0",
  services: [projectsService],
  // asked before a contract's filing starts and is submitted (complaints: challenge.suspendContract)
  // asked for the contracts other channels made for a project (the e-mall's orders), shown with their spend
  extensionPoints: { "contract-holds": contractHolds, "payment-locks": paymentLocks, "contract-records": contractRecords },
  // the registries it reads (purchasers, suppliers, agencies) must be there first
  dependsOn: ["registries"],
  migrations: "migrations",
  demo: supervisionDemo,
  forms: STAGE_FORMS.map((f) => `supervision.${f}`),
  workflows: ["supervision.intention", "supervision.plan", "supervision.contract", "supervision.acceptance", "supervision.payment"],
  workflowHooks: hooks,
  // 政府采购监管: the finance bureau's procurement supervisors read every project of their region,
  // modules retired there included, and may know the units' codes.
  roles: {
    regulator: { title: { "zh-CN": "监管部门", en: "regulator" }, oversees: true },
  },
  permissions(user, { can, tenantScope }) {
    const roles = new Set(user.roles);
    // Regulators and tenant admins follow every project of their region; a unit its own, and the
    // supplier and the agency the projects they take part in.
    if (roles.has("regulator") || roles.has("tenant-admin")) can("read", "Project", { tenantCode: { $in: tenantScope } });
    if (user.unitCode) {
      can("read", "Project", { ownerUnit: user.unitCode });
      if (roles.has("supplier")) can("read", "Project", { supplierCode: user.unitCode });
      if (roles.has("agency")) can("read", "Project", { agencyCode: user.unitCode });
    }
  },
});
