import { definePlugin } from "../../core/sdk";
import { assistantService } from "./services/assistant";
import { faqHooks } from "./services/kb";
import { liveService } from "./services/live";
import { ticketHooks, ticketsService } from "./services/tickets";
import { guideHooks, guidesService } from "./services/guides";
import { helpdeskDemo } from "./demo";

export default definePlugin({
  name: "helpdesk",
  title: { "zh-CN": "服务支持", en: "Helpdesk" },
  description: {
    "zh-CN": "在线智能客服：知识库（审核后发布）、中文问答、按城市上线安排作答、转人工",
    en: "Online helpdesk: a reviewed knowledge base, answers in Chinese and English, rollout questions answered from the schedule, hand-over to a person",
  },
  version: "0.1.0",
  // Reads the tenant tree and module timelines through tenancy's public actions only.
  services: [assistantService, liveService, ticketsService, guidesService],
  migrations: "migrations",
  forms: ["helpdesk.faq", "helpdesk.ticket", "helpdesk.ticket-reply", "helpdesk.guide"],
  workflows: ["helpdesk.faq", "helpdesk.ticket", "helpdesk.guide"],
  workflowHooks: { "helpdesk.faq": faqHooks, "helpdesk.ticket": ticketHooks, "helpdesk.guide": guideHooks },
  // guides, tickets (one about to miss its first-reply target) and a waiting chat in Huizhou
  demo: helpdeskDemo,
  roles: {
    "helpdesk-agent": { title: { "zh-CN": "客服人员", en: "helpdesk agent" } },
  },
  permissions(user, { can, tenantScope }) {
    // a published guide is for everyone signed in: reading its instance is what lets core/files stream its video
    can("read", "WorkflowInstance", { workflowId: "helpdesk.guide", state: "published" });
    if (user.roles.includes("helpdesk-agent")) {
      // the region's agents review one another's edits of the knowledge base
      can("read", "WorkflowInstance", { workflowId: { $in: ["helpdesk.faq", "helpdesk.ticket"] }, tenantCode: { $in: tenantScope } });
      can("update", "HelpdeskSynonyms");
      can("read", "HelpdeskHandover");
      // live chats and tickets of the agent's region only: another city's are not found
      can("read", "HelpdeskChat", { tenantCode: { $in: tenantScope } });
    }
    // the tenant's administrators supervise its helpdesk: escalated tickets are theirs to chase
    if (user.roles.includes("tenant-admin")) {
      can("read", "WorkflowInstance", { workflowId: "helpdesk.ticket", tenantCode: { $in: tenantScope } });
      can("read", "HelpdeskChat", { tenantCode: { $in: tenantScope } });
      can("read", "HelpdeskHandover");
    }
  },
});
