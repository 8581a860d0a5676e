import { definePlugin, provide } from "../../core/sdk";
import { contractHolds } from "../supervision/api";
import { casesService } from "./services/cases";
import { complaintsDemo } from "./demo";
import { clockHooks } from "./services/clocks";

export default definePlugin({
  name: "complaints",
  title: { "zh-CN": "质疑与投诉", en: "Challenges and complaints" },
  description: {
    "zh-CN": "供应商质疑、采购人答复、向财政部门投诉及其受理、答复、暂停、决定与公告（财政部令第94号），各法定期限倒计时",
    en: "Suppliers' challenges, the purchaser's reply, complaints to the finance department and their intake, answer, suspension, decision and publication (MOF Order 94), each statutory clock counted down",
  },
  version: "0.1.0",
  // A challenge is the tender's business, not a module of its own: every action first reads the tender
  // through e-trading (etrading.get, as the caller), whose gate applies e-trading's schedule at the
  // tender's place. A tenant that runs e-trading therefore has challenges and complaints with it.
  gated: false,
  dependsOn: ["etrading", "supervision"],
  services: [casesService],
  // supervision asks before a contract's filing whether a challenge or complaint holds it (challenge.suspendContract)
  extends: { ...provide(contractHolds, { holds: "complaints.contractHolds" }) },
  migrations: "migrations",
  forms: ["complaints.challenge", "complaints.complaint", "complaints.clock"],
  // every clock of a case is checked by the engine's persisted timer, once a day while the case is open
  workflows: ["complaints.clock"],
  workflowHooks: { "complaints.clock": clockHooks },
  // one challenge awaiting its answer and one complaint awaiting the regulator, on etrading's opened Huizhou tender
  demo: complaintsDemo,
  permissions(user, { can, tenantScope }) {
    // the finance department of the tender's region handles complaints (and reads its challenges)
    if (user.roles.includes("regulator")) can(["read", "update"], "ComplaintsCase", { tenantCode: { $in: tenantScope } });
  },
});
