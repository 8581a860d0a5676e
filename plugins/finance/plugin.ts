import { definePlugin, provide, unitsPoint } from "../../core/sdk";
import { bidSecurity } from "../etrading/api";
import { paymentLocks } from "../supervision/api";
import { financeDemo } from "./demo";
import { depositsService } from "./services/deposits";
import { financingService } from "./services/financing";
import { guaranteesService } from "./services/guarantees";
import { institutionsService } from "./services/institutions";

export default definePlugin({
  name: "finance",
  title: { "zh-CN": "金融服务平台", en: "Financial services" },
  description: {
    "zh-CN": "金融机构准入、投标保证金（非现金形式、确认与退还时限）、电子保函（申请、出具、验真、索赔）、履约保函",
    en: "Financial institutions admitted by region; bid deposits (non-cash, confirmed, refunded on their clocks); e-guarantees (applied for, issued, verified, claimed); performance guarantees",
  },
  version: "0.1.0",
  // it provides e-trading's bid-security point and supervision's payment locks, so it loads after both
  dependsOn: ["etrading", "supervision"],
  // Banks, insurers and guarantee companies act alike here (they issue letters, answer claims, lend):
  // one role, the kind is the institution record's, so an insurer that starts lending changes no account.
  roles: {
    institution: { title: { "zh-CN": "金融机构（银行、保险、担保）", en: "financial institution (bank, insurer, guarantor)" } },
  },
  services: [institutionsService, guaranteesService, depositsService, financingService],
  migrations: "migrations",
  extends: {
    ...provide(bidSecurity, { status: "finance.guarantees.status" }),
    // an approved contract loan sends the contract's payments to the lender until repaid
    ...provide(paymentLocks, { locks: "finance.financing.locks" }),
    // an institution's accounts name it as their unit, as a supplier's name the supplier
    ...provide(unitsPoint, { resolve: "finance.institutions.resolve" }),
  },
  demo: financeDemo,
});
