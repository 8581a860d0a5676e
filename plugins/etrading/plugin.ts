import { definePlugin, provide } from "../../core/sdk";
import { tenderHooks, tendersService } from "./services/tenders";
import { PROCEDURES } from "./services/procedures";
import { etradingDemo } from "./demo";
import { bidsService } from "./services/bids";
import { bidSecurity, eligibility, signingProviders } from "./api";
import { hallService } from "./services/hall";
import { screeningService } from "./services/screening";

export default definePlugin({
  name: "etrading",
  title: { "zh-CN": "项目采购电子交易系统", en: "E-trading" },
  description: {
    "zh-CN": "公开招标、邀请招标、竞争性谈判、竞争性磋商、询价、单一来源：从已备案的采购计划到开标",
    en: "Open and invited tenders, competitive negotiation and consultation, requests for quotations and single source: from a filed plan to the opening",
  },
  version: "0.1.0",
  // the filed plan it executes comes from supervision; suppliers and agencies from the registries
  dependsOn: ["registries", "supervision"],
  services: [tendersService, bidsService, screeningService, hallService],
  // a bid's contents and the key shares that open it stay out of every log until the opening and after
  secretFields: ["bid", "bids", "sealed", "share", "shares"],
  // bidders are screened at the credit-query cutoff by an eligibility provider (plugins/credit), if one is installed
  // sealed bids are signed through a provider: software keys here, CA certificates and UKeys from other plugins
  // deposits and guarantees are asked of providers at the opening: the plain deposit record here, e-guarantees from finance later
  extensionPoints: { "signing-providers": signingProviders, eligibility, "bid-security": bidSecurity },
  extends: { ...provide(bidSecurity, { status: "etrading.hall.depositStatus" }) },
  migrations: "migrations",
  // three Huizhou tenders (taking bids, closing minutes after the start, closed): after supervision's demo, whose registry records they use
  demo: etradingDemo,
  forms: ["etrading.documents", "etrading.clarification", "etrading.corrigendum"],
  workflows: Object.values(PROCEDURES).map((p) => p.workflow),
  workflowHooks: tenderHooks,
  permissions(user, { can, tenantScope }) {
    // Regulators and tenant admins follow every procurement of their region; the purchaser, agency and
    // suppliers see theirs through the routes' own rules (services/tenders.ts).
    if (user.roles.includes("regulator") || user.roles.includes("tenant-admin")) can("read", "EtradingTender", { tenantCode: { $in: tenantScope } });
  },
});
