import { definePlugin, provide } from "../../core/sdk";
import { contractRecords } from "../supervision/api";
import { eligibility } from "../etrading/api";
import { orderHooks, ordersService } from "./services/orders";
import { auctionHooks, auctionsService } from "./services/auctions";
import { callOffHooks, frameworksService } from "./services/frameworks";
import { designatedHooks } from "./services/designated";
import { emallDemo } from "./demo";

export default definePlugin({
  name: "emall",
  title: { "zh-CN": "电子卖场系统", en: "E-mall" },
  description: {
    "zh-CN": "公开招标数额以下的货物和服务：按已备案计划直接订购，供应商确认，验收与付款",
    en: "Goods and services below the public-tender threshold: direct orders against a filed plan, the supplier's confirmation, acceptance and payment",
  },
  version: "0.1.0",
  // the filed plan and its lines come from supervision, the offers from the commodities registry
  dependsOn: ["registries", "supervision", "commodities"],
  services: [ordersService, auctionsService, frameworksService],
  // a confirmed order, award or call-off is a contract record on supervision's project page, with its spend
  extends: { ...provide(contractRecords, { records: "emall.contractRecords" }) },
  // related suppliers are kept out of one auction by e-trading's eligibility point (credit provides it):
  // the same screening a tender's bidders get, from the same imported enterprise registrations
  consumes: { [eligibility.id]: "optional" },
  migrations: "migrations",
  demo: emallDemo,
  // a supplier taking part moves a bidding auction's end after its late quote (the `extend` step), so it
  // reads bidding auctions as their public page shows them (GET /api/emall/auctions/:id)
  permissions(user, { can }) {
    if (user.roles.includes("supplier")) can("read", "WorkflowInstance", { workflowId: "emall.auction", state: "bidding" });
  },
  forms: ["emall.order", "emall.auction", "emall.calloff", "emall.designated"],
  workflows: ["emall.order", "emall.auction", "emall.calloff", "emall.designated"],
  workflowHooks: { "emall.order": orderHooks, "emall.auction": auctionHooks, "emall.calloff": callOffHooks, "emall.designated": designatedHooks },
});
