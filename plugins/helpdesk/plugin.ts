import { definePlugin } from "../../core/sdk";
import { assistantService } from "./services/assistant";
import { faqHooks } from "./services/kb";

export default definePlugin({
  name: "helpdesk",
  title: { "zh-CN": "服务支持", en: "Helpdesk" },
  description: {
    "zh-CN": "在线智能客服：知识库（审核后发布）、中文问答、按城市上线安排作答、转人工",
    en: "Online helpdesk: a reviewed knowledge base, answers in Chinese and English, rollout questions answered from the schedule, hand-over to a person",
  },
  version: "0.1.0",
  // Reads the tenant tree and module timelines through tenancy's public actions only.
  services: [assistantService],
  migrations: "migrations",
  forms: ["helpdesk.faq"],
  workflows: ["helpdesk.faq"],
  workflowHooks: { "helpdesk.faq": faqHooks },
  roles: {
    "helpdesk-agent": { title: { "zh-CN": "客服人员", en: "helpdesk agent" } },
  },
  permissions(user, { can, tenantScope }) {
    if (user.roles.includes("helpdesk-agent")) {
      // the region's agents review one another's edits of the knowledge base
      can("read", "WorkflowInstance", { workflowId: "helpdesk.faq", tenantCode: { $in: tenantScope } });
      can("update", "HelpdeskSynonyms");
      can("read", "HelpdeskHandover");
    }
  },
});
