import { definePlugin } from "../../core/sdk";
import { feedService } from "./services/feed";
import { noticesService } from "./services/notices";

export default definePlugin({
  name: "portal",
  title: { "zh-CN": "政府采购公开门户", en: "Public procurement portal" },
  description: {
    "zh-CN": "采购意向、招标、结果与合同公告，面向公众，无需登录",
    en: "Procurement intentions, tenders, results and contracts, open to everyone without signing in",
  },
  version: "0.1.0",
  // Meant to be `gated: false` (publication is the law's requirement in every region), but
  // tenants/schedules.json schedules the module "portal" (live province-wide since 2021-01-01), and
  // a schedule naming an ungated plugin stops start-up. Gated, its reads pass for everybody while
  // that entry stands: anonymous callers are judged by the province's schedule. See README.md.

  // Fed by the events that workflows emit (`emit` effects naming portal.publish / portal.withdraw,
  // README.md); reads no other plugin.
  services: [noticesService, feedService],
  migrations: "migrations",
});
