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

/**
 * One contract that another channel made for a project's plan line without supervision's own contract
 * stage (an e-mall order once its supplier confirmed it, an auction award, a framework call-off): it
 * runs acceptance and payment in its own workflow, and supervision shows it and counts its spend.
 */
export interface ContractRecord {
  /** the providing plugin and the record's kind there, e.g. `emall` / `order` */
  source: string;
  kind: string;
  /** its workflow instance (the page that runs it) */
  instanceId: string;
  planLine: number;
  supplier: { code: string; name: string };
  amount: string;
  /** contracted · accepted · paid */
  status: "contracted" | "accepted" | "paid";
  signedOn: string;
  acceptedOn: string | null;
  paymentDue: string | null;
  paidOn: string | null;
  paidLate: boolean;
}

export interface ContractRecordsProvider {
  records(params: { projectId: string; tenantCode: string }): { records: ContractRecord[] };
}

export const contractRecords = extensionPoint<ContractRecordsProvider>("supervision.contract-records", {
  title: { "zh-CN": "其他渠道形成的合同", en: "Contracts made through other channels" },
  description: {
    "zh-CN": "项目详情向各提供方询问该项目在其渠道形成的合同（如电子卖场订单）：验收、付款及对计划明细的支出",
    en: "A project's page asks each provider for the contracts its channel made for the project (e-mall orders, …): acceptance, payment and the spend against each plan line",
  },
  methods: { records: true },
});
