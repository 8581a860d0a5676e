import { definePlugin } from "../../core/sdk";
import { legacyHooks, legacyService } from "./services/projects";

export default definePlugin({
  name: "legacy",
  title: { "zh-CN": "原政府采购系统", en: "Old procurement system" },
  description: {
    "zh-CN": "2021年1月1日前在原系统开始的项目迁入本平台并办结；停止新业务后不再受理新项目",
    en: "Projects begun in the old system before 2021-01-01 come over and are finished here; once in sunset it takes no new ones",
  },
  version: "0.1.0",
  services: [legacyService],
  // legacy.imported(-contract): what an imported project holds at its stage (the states' `adoptable` forms)
  forms: ["legacy.project", "legacy.contract", "legacy.accept", "legacy.pay", "legacy.imported", "legacy.imported-contract"],
  workflows: ["legacy.project"],
  workflowHooks: legacyHooks,
});
