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

/** A lock on where a contract's payments go: a lender's collection account, until the loan is repaid. */
export interface PaymentLock {
  /** the statutory rule or programme it rests on, e.g. `finance.smeGuaranteeAndFinancing` (政采贷) */
  rule: string;
  message: Localized;
  /** the account every payment of this contract goes to while the lock holds */
  account: string;
  /** who holds the lock (a lender's name) */
  holder: string;
  /** the amount and the last day the lock secures, for the purchaser and the regulator */
  amount?: string | null;
  until?: string | null;
  reference?: Record<string, string | null>;
}

/**
 * What a provider implements: asked when a project is read, whether its contract's payments are
 * locked to an account (contract financing: the lender's collection account until the loan is
 * repaid); an empty `locks` when they are not. Supervision shows them with the project.
 */
export interface PaymentLocksProvider {
  locks(params: { projectId: string; tenantCode: string }): { locks: PaymentLock[] };
}

export const paymentLocks = extensionPoint<PaymentLocksProvider>("supervision.payment-locks", {
  title: { "zh-CN": "合同款项支付账户锁定", en: "Locks on a contract's payment account" },
  description: {
    "zh-CN": "读取项目时询问各提供方：该合同的款项是否须支付至指定账户（如政采贷放款机构的回款账户），直至解除",
    en: "When a project is read, each provider is asked whether its contract's payments must go to a given account (a lender's collection account under contract financing) until released",
  },
  methods: { locks: true },
});
