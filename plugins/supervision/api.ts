/**
 * What other plugins may import of supervision: types and extension points only
 * (plugins/README.md, "Extension points").
 */
import { extensionPoint, type Localized } from "../../core/sdk";

/** One reason a project's contract may not be filed now: the rule that says so and the case it is about. */
export interface ContractHold {
  /** the statutory rule's id (procurement-rules.json), e.g. `challenge.suspendContract` */
  rule: string;
  message: Localized;
  /** which case holds the contract (a challenge's or a complaint's id, …), for the refusal's details */
  reference?: Record<string, string | null>;
}

/**
 * What a provider implements: asked, before a contract's filing is started or submitted, whether the
 * project's contract may be filed now; an empty `holds` when it may. Supervision knows nothing of why
 * (a challenge awaiting its answer, a complaint undecided): each provider says so in its own words.
 */
export interface ContractHoldsProvider {
  holds(params: { projectId: string; tenantCode: string }): { holds: ContractHold[] };
}

export const contractHolds = extensionPoint<ContractHoldsProvider>("supervision.contract-holds", {
  title: { "zh-CN": "暂停合同签订与备案的事由", en: "What holds a contract's filing" },
  description: {
    "zh-CN": "合同备案开始和提交前询问各提供方：该项目现在能否签订、备案合同；不能时说明依据的规则和案件",
    en: "Before a contract filing starts and is submitted, each provider is asked whether the project's contract may be signed and filed now; if not, the rule and the case",
  },
  methods: { holds: true },
});
