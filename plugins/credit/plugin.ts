import { definePlugin, provide } from "../../core/sdk";
import { eligibility } from "../etrading/api";
import { creditDemo } from "./demo";
import { eligibilityService } from "./services/eligibility";
import { filesService } from "./services/files";
import { listsService } from "./services/lists";
import { ratingsService } from "./services/ratings";

export default definePlugin({
  name: "credit",
  title: { "zh-CN": "诚信管理系统", en: "Credit management" },
  description: {
    "zh-CN": "外部失信名单导入（来源、版本、差异）、投标截止时点的信用筛查、各方信用档案、信用信息公示",
    en: "External lists imported with provenance, versions and diffs; credit screening at the bid cutoff; every party's credit file; the public credit page",
  },
  version: "0.1.0",
  // it provides e-trading's eligibility point, so it loads after e-trading
  dependsOn: ["etrading"],
  services: [listsService, eligibilityService, filesService, ratingsService],
  migrations: "migrations",
  extends: { ...provide(eligibility, { check: "credit.eligibility.check" }) },
  // a Huizhou supplier on the dishonest-debtor list, excluded at the cutoff of a tender it bid in
  demo: creditDemo,
  permissions(user, { can, tenantScope }) {
    const roles = new Set(user.roles);
    // the province's regulator imports the external lists; every regulator reads them and records penalties
    if (roles.has("platform-admin") || (roles.has("regulator") && user.tenantCode === "440000")) can("import", "CreditList");
    // a rating round for a procurement completed outside the platform's plugins (the old system, the demo)
    if (roles.has("platform-admin")) can("open", "RatingRound");
    if (roles.has("platform-admin") || roles.has("regulator")) can("read", "CreditList");
    // a penalty or an appeal's state: by the regulators of the record's region (a province's, every city's), the platform's administrator anywhere
    if (roles.has("platform-admin")) can("record", "CreditPenalty");
    else if (roles.has("regulator")) can("record", "CreditPenalty", { tenantCode: { $in: tenantScope } });
  },
});
