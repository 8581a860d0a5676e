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
