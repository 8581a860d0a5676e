import type { DemoTools } from "../../core/sdk";
import { addWorkingHours, FIRST_RESPONSE_HOURS } from "./sla";

type As = ReturnType<DemoTools["as"]>;

const MANUAL_SUPPLIER = `# 供应商入门

1. **注册**：在门户首页点击「供应商注册」，填写统一社会信用代码，上传营业执照。
2. **首次登录**：初始密码为注册时收到的短信验证码，登录后须立即修改。
3. **数字证书（CA）**：参与电子投标须办理 CA 证书，可在「帮助」中查看办理点。

客服热线：400-183-2999（工作日 9:00–12:00、13:30–17:30）`;

const MANUAL_BID = `# 惠州市电子投标操作手册

## 一、下载招标文件
进入「电子交易 → 项目」，找到项目后点击「下载招标文件」。

## 二、上传投标文件
1. 使用投标客户端加密投标文件；
2. 在投标截止时间前上传，系统回执即为递交凭证。

## 三、开标与解密
开标时进入「开标大厅」，在解密时限内使用 CA 证书解密。逾期未解密的投标文件视为撤回。`;

/**
 * The helpdesk's demo: two manuals, a short video and a notice; open tickets in Huizhou, one of them
 * about to miss its first-reply target; a chat waiting in Huizhou's queue.
 */
export async function helpdeskDemo(d: DemoTools): Promise<void> {
  const admin = d.as(d.admin);
  const hzAdmin = d.as("huizhou.admin");
  const agent = d.as("huizhou.helpdesk");
  const start = (who: As, workflowId: string, data: unknown) => who<{ id: string }>("workflows.start", { workflowId, data });
  const take = (who: As, id: string, name: string, data?: unknown) => who("workflows.transition", { id, name, ...(data === undefined ? {} : { data }) });
  const guide = async (who: As, data: Record<string, unknown>) => take(who, (await start(who, "helpdesk.guide", data)).id, "publish");

  d.travelTo(new Date());
  await guide(admin, { kind: "manual", title: "供应商入门手册", titleEn: "Getting started for suppliers", roles: ["supplier", "public"], subsystem: "general", pages: ["/help"], body: MANUAL_SUPPLIER });
  await guide(hzAdmin, { kind: "manual", title: "惠州市电子投标操作手册", titleEn: "Huizhou e-bidding manual", roles: ["supplier", "agency"], subsystem: "etrading", pages: ["/etrading"], body: MANUAL_BID });
  const media = await admin<{ video: string; poster: string }>("helpdesk.guides.uploadDemoMedia");
  await guide(admin, {
    kind: "video", title: "投标操作演示（视频）", titleEn: "Bidding walkthrough (video)", roles: ["supplier", "public"], subsystem: "etrading", body: "登录、投标、开标三步演示。",
    video: media.video, poster: media.poster, chapters: [{ at: 0, title: "登录" }, { at: 1, title: "投标" }, { at: 3, title: "开标" }],
  });
  await guide(admin, { kind: "notice", title: "关于启用广东政府采购智慧云平台的通知", titleEn: "Switch-over to the new platform", roles: ["public"], subsystem: "general", body: "根据粤财采购函〔2020〕59号，各地按上线安排启用新平台，旧系统同步停止受理新项目。" });

  // tickets: each from a chat the agent took and could not solve there
  const ticket = async (username: string, text: string, data: Record<string, unknown>) => {
    const chat = await d.as(username)<{ id: string }>("helpdesk.live.open", { text, page: "/etrading" });
    await agent("helpdesk.live.take", { id: chat.id });
    return (await start(agent, "helpdesk.ticket", { chatId: chat.id, description: text, ...data })).id;
  };
  // raised so long ago that its 4 working hours end within the next half hour (or at the next office hours' start)
  const now = Date.now();
  let raised = new Date(now);
  for (let back = 5; back < 7 * 24 * 60; back += 5) {
    const at = new Date(now - back * 60_000);
    if (addWorkingHours(at, FIRST_RESPONSE_HOURS).getTime() <= now + 60_000) break;
    raised = at;
  }
  d.travelTo(raised);
  await ticket("huizhou.supplier", "投标保证金开标后一周还没退回", { subject: "投标保证金未退还", category: "金融服务", priority: "high" });
  d.travelTo(new Date(now));
  await ticket("huizhou.buyer", "采购意向公开后修改不了预算金额", { subject: "采购意向无法修改", category: "其他", priority: "normal" });
  const answered = await ticket("huizhou.supplier2", "CA 证书登录时提示证书无效", { subject: "CA 证书登录失败", category: "账号与登录", priority: "normal" });
  await take(agent, answered, "reply", { message: "请先在证书助手中更新证书驱动，再重新登录；如仍失败请回复本工单。" });
  await d.as("huizhou.supplier3")("helpdesk.live.open", { text: "开标大厅进不去，一直转圈", page: "/etrading", errors: [{ message: "网络请求超时", code: "UNAVAILABLE" }] });
  d.log("[helpdesk] demo: 4 guides (2 manuals, a video, a notice), 3 tickets in Huizhou (one about to breach), 1 chat waiting");
}
