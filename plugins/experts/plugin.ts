import { definePlugin, provide } from "../../core/sdk";
import { applicationHooks, registryService } from "./services/registry";
import { drawingHooks, drawingsService } from "./services/drawings";
import { committeeSource, smsProvider } from "./api";
import { expertsDemo } from "./demo";

export default definePlugin({
  name: "experts",
  title: { "zh-CN": "评审专家库", en: "Review experts" },
  description: {
    "zh-CN": "评审专家入库、暂停与清退，专家日程与回避声明，可验证的随机抽取、邀请与自动补抽",
    en: "Review experts' admission, suspension and removal, their calendars and avoidance declarations, the verifiable random drawing, invitations and replacements",
  },
  version: "0.1.0",
  // One of the notice's five base registries (purchasers, experts, agencies, suppliers, commodities):
  // every tenant keeps its experts whatever its rollout, as it keeps its suppliers. The drawing acts
  // on e-trading's procurements through e-trading's own actions, which its module gate governs.
  gated: false,
  // the `expert` and `agency` roles are the registries'; `regulator` is supervision's; tenders and opening records are e-trading's
  dependsOn: ["registries", "supervision", "etrading"],
  services: [registryService, drawingsService],
  extensionPoints: { "sms-provider": smsProvider, committee: committeeSource },
  extends: { ...provide(smsProvider, { send: "experts.drawings.smsLog" }), ...provide(committeeSource, { committee: "experts.drawings.committee" }) },
  migrations: "migrations",
  demo: expertsDemo,
  forms: ["experts.application", "experts.reason", "experts.drawing"],
  workflows: ["experts.application", "experts.drawing"],
  workflowHooks: { "experts.application": applicationHooks, "experts.drawing": drawingHooks },
});
