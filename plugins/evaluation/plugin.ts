import { definePlugin } from "../../core/sdk";
import { evaluationsService } from "./services/evaluations";
import { evaluationDemo } from "./demo";

export default definePlugin({
  name: "evaluation",
  title: { "zh-CN": "评标与定标", en: "Evaluation and award" },
  description: {
    "zh-CN": "开标后的资格审查、评标委员会在线独立评分、评审报告与签署、监管部门决定的重新评审、采购人确定中标人与结果公告",
    en: "Qualification review after the opening, the committee's independent online scoring, the report and its signatures, the regulator's re-evaluation order, the purchaser's award and the result notice",
  },
  version: "0.1.0",
  // It acts on e-trading's opened tenders, whose module gate governs them: the tender's facts come
  // through e-trading's own actions, so a tenant without e-trading cannot start an evaluation here.
  gated: false,
  // `purchaser`, `agency` and `expert` are the registries' roles, `regulator` supervision's; tenders and opening records are e-trading's
  dependsOn: ["registries", "supervision", "etrading"],
  services: [evaluationsService],
  // the committee is the experts' drawing's: read through the experts plugin's point
  consumes: { "experts.committee": "required" },
  migrations: "migrations",
  // one evaluation in progress for huizhou.expert, on e-trading's recorded tender ⑦: after experts' and e-trading's demos, which it builds on
  demo: evaluationDemo,
});
