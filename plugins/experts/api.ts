/**
 * What other plugins may import of the experts registry: types and extension points only
 * (plugins/README.md, "Extension points").
 */
import { extensionPoint } from "../../core/sdk";

/**
 * A text-message gateway: told the phone number and the text, it sends it and says whether the
 * gateway took it. The plugin provides a logging one for development (experts.sms.log); a real
 * gateway (a carrier's or a cloud SMS service) is another plugin providing this point.
 */
export interface SmsProvider {
  send(params: { phone: string; text: string; tenantCode: string; reference: string }): { accepted: boolean; provider: string };
}

export const smsProvider = extensionPoint<SmsProvider>("experts.sms-provider", {
  title: { "zh-CN": "短信通道", en: "Text-message gateways" },
  description: {
    "zh-CN": "评审专家抽取通知的短信发送方；开发环境自带只写日志的通道",
    en: "Who sends the drawing's text messages to experts; development has a gateway that only logs",
  },
  methods: { send: true },
});

/**
 * A tender's evaluation committee as its drawing made it: the experts who accepted, in drawing order.
 * The evaluation reads its members here instead of taking accounts the purchaser types. Called with the
 * caller's identity: only those who run the tender (e-trading says `mine`) get an answer.
 */
export interface CommitteeSource {
  committee(params: { tenderId: string }): Promise<{
    /** null when the tender has no complete drawing */
    drawingId: string | null;
    committeeSize: number;
    /** the accepted experts' accounts, first drawn first */
    members: Array<{ accountId: string; position: number }>;
  }>;
}

export const committeeSource = extensionPoint<CommitteeSource>("experts.committee", {
  title: { "zh-CN": "抽取产生的评审委员会", en: "Committees from the drawing" },
  description: {
    "zh-CN": "项目已完成抽取中接受邀请的评审专家，按抽取顺序",
    en: "The experts who accepted a tender's completed drawing, in drawing order",
  },
  methods: { committee: true },
});
