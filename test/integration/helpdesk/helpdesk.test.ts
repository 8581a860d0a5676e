import fs from "node:fs";
import path from "node:path";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import { linkPlugins } from "../../support/plugins";

const ROOT = path.resolve(__dirname, "../../..");

interface EvalQuestion {
  id: string;
  question: string;
  style: string;
  page?: string;
  user?: { tenantCode: string; roles: string[] };
  expect: { entries?: string[]; schedule?: { tenant: string; module: string }; handover?: boolean };
}
const EVAL: EvalQuestion[] = JSON.parse(fs.readFileSync(path.join(ROOT, "test/fixtures/helpdesk/questions.json"), "utf8")).questions;

describe("plugin helpdesk", () => {
  let platform: TestPlatform;
  let pluginsDir: string;
  let agent: string;
  let otherAgent: string;
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    process.env.HELPDESK_RATE_PER_MINUTE = "100000";
    pluginsDir = linkPlugins(["helpdesk"], "helpdesk-plugins");
    platform = await startTestPlatform({ pluginsDir, formsDir: path.join(ROOT, "forms") });
    agent = await platform.token({ tenantCode: "441300", roles: ["helpdesk-agent"] });
    otherAgent = await platform.token({ tenantCode: "441300", roles: ["helpdesk-agent"] });
    const admin = await platform.token({ tenantCode: "440000", roles: ["platform-admin"] });
    // live province-wide (as tenants/schedules.json has it), from a minute ahead: a schedule never starts in the past
    const from = new Date(Date.now() + 60_000);
    const put = await platform.api("/api/tenants/440000/modules/helpdesk", { method: "PUT", token: admin, body: { state: "live", from: from.toISOString() } });
    expect(put.status).toBe(200);
    platform.kernel.clock.travelTo(new Date(from.getTime() + 60_000));
  });
  afterAll(async () => {
    delete process.env.HELPDESK_RATE_PER_MINUTE;
    await platform?.stop();
    fs.rmSync(pluginsDir, { recursive: true, force: true });
  });

  const ask = async (body: unknown, opts: { token?: string; lang?: string } = {}) =>
    platform.api("/api/helpdesk/ask", { method: "POST", body, token: opts.token, headers: opts.lang ? { "accept-language": opts.lang } : undefined });

  test("the FAQ is loaded on the first start, each entry under its id with its sources", async () => {
    const res = await platform.api("/api/helpdesk/faq");
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(78);
    expect(res.body.items[0]).toMatchObject({ id: "faq-001", category: "账号与登录", sources: ["粤财采购函〔2020〕59号"] });
  });

  test("a signed-out visitor gets the top entry with its id and source, and two alternatives", async () => {
    const res = await ask({ question: "第一次登录密码是什么？" });
    expect(res.status).toBe(200);
    expect(res.body.handover).toBe(false);
    expect(res.body.answer).toMatchObject({ kind: "faq", id: "faq-002", sources: ["粤财采购函〔2020〕59号"] });
    expect(res.body.answer.answer).toContain("预算编码");
    expect(res.body.alternatives).toHaveLength(2);
    expect(res.body.alternatives.map((a: { id: string }) => a.id)).not.toContain("faq-002");
  });

  test("the evaluation set: top-3 ≥ 90 %, top-1 ≥ 75 %, unanswerable handed over ≥ 90 %", async () => {
    let answerable = 0, top1 = 0, top3 = 0, unanswerable = 0, handedOver = 0;
    const misses: string[] = [];
    for (const q of EVAL) {
      let token: string | undefined;
      if (q.user) {
        const key = `${q.user.tenantCode}:${q.user.roles.join(",")}`;
        if (!tokens.has(key)) tokens.set(key, await platform.token(q.user));
        token = tokens.get(key);
      }
      const res = await ask({ question: q.question, page: q.page }, { token });
      expect(res.status).toBe(200);
      const ranked: string[] = [res.body.answer?.id, ...res.body.alternatives.map((a: { id: string }) => a.id)].filter(Boolean);
      if (q.expect.handover) {
        unanswerable++;
        if (res.body.handover) handedOver++;
        else misses.push(`${q.id} not handed over: ${q.question}`);
        continue;
      }
      answerable++;
      const right = q.expect.schedule ? [`schedule:${q.expect.schedule.tenant}:${q.expect.schedule.module}`] : q.expect.entries!;
      // an answer handed over is not an answer given: only the shown answer counts for top-1
      if (!res.body.handover && right.includes(ranked[0])) top1++;
      else misses.push(`${q.id} ${q.question} → ${ranked.join(",")}${res.body.handover ? " (handover)" : ""}`);
      if (ranked.slice(0, 3).some((id) => right.includes(id))) top3++;
    }
    const figures = { top1: top1 / answerable, top3: top3 / answerable, handover: handedOver / unanswerable };
    // printed so that a regression shows which questions it lost
    if (figures.top1 < 0.75 || figures.top3 < 0.9 || figures.handover < 0.9) console.log(figures, misses.join("\n"));
    expect(EVAL.length).toBeGreaterThanOrEqual(200);
    expect(unanswerable).toBeGreaterThanOrEqual(20);
    expect(figures.top3).toBeGreaterThanOrEqual(0.9);
    expect(figures.top1).toBeGreaterThanOrEqual(0.75);
    expect(figures.handover).toBeGreaterThanOrEqual(0.9);
  });

  test("“can I bid in Maoming yet?” is answered from Maoming's schedule on that day, not from the FAQ", async () => {
    const at = (iso: string) => platform.kernel.clock.travelTo(new Date(iso));
    try {
      at("2021-03-01T02:00:00Z");
      const before = await ask({ question: "Can I bid in Maoming yet?" });
      expect(before.status).toBe(200);
      expect(before.body.answer).toMatchObject({ kind: "schedule", tenantCode: "440900", module: "etrading", state: "off", next: { state: "live" } });
      expect(before.body.answer.answer).toContain("2021-05-01");
      at("2021-06-01T02:00:00Z");
      const after = await ask({ question: "茂名现在能投标了吗" });
      expect(after.body.answer).toMatchObject({ kind: "schedule", tenantCode: "440900", state: "live", since: expect.stringContaining("2021-04-30") });
      // "my city": the signed-in user's own tenant
      const maomingSupplier = await platform.token({ tenantCode: "440900", roles: ["supplier"] });
      const mine = await ask({ question: "我们市现在能用电子交易系统吗" }, { token: maomingSupplier });
      expect(mine.body.answer).toMatchObject({ kind: "schedule", tenantCode: "440900", state: "live" });
    } finally {
      platform.kernel.clock.travelTo(new Date(Date.now() + 120_000));
    }
  });

  test("asking for a person, or a question the knowledge base cannot answer, is handed over and recorded for staff", async () => {
    const person = await ask({ question: "转人工" });
    expect(person.body).toMatchObject({ handover: true, reason: "asked", answer: null });
    const unknown = await ask({ question: "明天去北京的高铁几点发车", page: "/help" });
    expect(unknown.body).toMatchObject({ handover: true, reason: "low-score", answer: null });

    const list = await platform.api("/api/helpdesk/handovers", { token: agent });
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ id: unknown.body.handoverId, question: "明天去北京的高铁几点发车", reason: "low-score", page: "/help" })]));
    const visitor = await platform.api("/api/helpdesk/handovers");
    expect(visitor.status).toBe(401);
  });

  test("bad input: empty, huge, binary and a bad page are refused clearly; HTML is kept as text", async () => {
    const empty = await ask({ question: "   " });
    expect(empty.status).toBe(400);
    expect(empty.body.error).toMatchObject({ code: "VALIDATION_FAILED", details: [expect.objectContaining({ path: "/question" })] });
    expect(empty.body.error.message).toBe("提交的数据未通过校验");
    expect(empty.body.error.details[0].message["zh-CN"]).toBe("请输入问题");
    const huge = await ask({ question: "保证金".repeat(400) }, { lang: "en" });
    expect(huge.status).toBe(400);
    expect(huge.body.error.message).toBe("The submitted data is not valid");
    expect(huge.body.error.details[0].message.en).toMatch(/at most 500 characters/);
    const binary = await ask({ question: "PK\u0003\u0004\u0014\u0000" });
    expect(binary.status).toBe(400);
    const binary2 = await ask({ question: "abc\u0001\u0002\ufffd" });
    expect(binary2.status).toBe(400);
    expect(binary2.body.error.details[0].path).toBe("/question");
    const page = await ask({ question: "密码", page: "javascript:alert(1)" });
    expect(page.status).toBe(400);
    expect(page.body.error.details[0].path).toBe("/page");
    const html = await ask({ question: "<script>alert(1)</script>怎么退保证金" });
    expect(html.status).toBe(200);
    expect(html.body.question).toBe("<script>alert(1)</script>怎么退保证金");
    expect(html.body.answer.id).toBe("faq-034");
  });

  test("one caller asking too fast is told to wait, in the envelope", async () => {
    process.env.HELPDESK_RATE_PER_MINUTE = "2";
    try {
      const token = await platform.token({ tenantCode: "441300", roles: ["supplier"] });
      const codes: number[] = [];
      for (let i = 0; i < 3; i++) codes.push((await ask({ question: "保证金怎么退" }, { token })).status);
      const refused = await ask({ question: "保证金怎么退" }, { token });
      expect(codes.slice(0, 2)).toEqual([200, 200]);
      expect(refused.status).toBe(429);
      expect(refused.body.error.code).toBe("RATE_LIMITED");
    } finally {
      process.env.HELPDESK_RATE_PER_MINUTE = "100000";
    }
  });

  test("an entry is edited through review: drafted, submitted, published by another agent, then answered with its new text", async () => {
    const data = {
      entryId: "faq-075",
      category: "系统与浏览器",
      roles: ["purchaser", "supplier", "public"],
      question: "遇到系统技术问题怎么联系技术支持？",
      answer: "请使用在线客服，或拨打平台运维热线 400-183-2999（工作日 8:30-17:30）。",
      answerEn: "Use the online helpdesk or call 400-183-2999 (working days 8:30-17:30).",
      sources: ["粤财采购函〔2020〕59号"],
    };
    const started = await platform.api("/api/workflows/helpdesk.faq/instances", { method: "POST", token: agent, body: { data } });
    expect(started.status).toBe(201);
    const id = started.body.id;
    expect((await platform.api(`/api/instances/${id}/transitions/submit`, { method: "POST", token: agent, body: {} })).status).toBe(200);
    // the one who submitted it cannot publish it
    const self = await platform.api(`/api/instances/${id}/transitions/publish`, { method: "POST", token: agent, body: {} });
    expect(self.status).toBe(403);
    const stillOld = await platform.api("/api/helpdesk/faq/faq-075");
    expect(stillOld.body.answer).not.toContain("8:30");
    const published = await platform.api(`/api/instances/${id}/transitions/publish`, { method: "POST", token: otherAgent, body: {} });
    expect(published.status).toBe(200);
    expect(published.body.state).toBe("published");
    const entry = await platform.api("/api/helpdesk/faq/faq-075");
    expect(entry.body).toMatchObject({ id: "faq-075", version: 2 });
    const res = await ask({ question: "技术支持电话" });
    expect(res.body.answer).toMatchObject({ id: "faq-075" });
    expect(res.body.answer.answer).toContain("8:30-17:30");

    const bad = await platform.api("/api/workflows/helpdesk.faq/instances", { method: "POST", token: agent, body: { data: { ...data, entryId: "faq-999" } } });
    expect(bad.status).toBe(400);
    const visitor = await platform.api("/api/workflows/helpdesk.faq/instances", { method: "POST", token: await platform.token({ tenantCode: "441300", roles: ["supplier"] }), body: { data } });
    expect(visitor.status).toBe(403);
  });

  test("the synonym list is edited by staff and used by the next question", async () => {
    const before = await ask({ question: "卡标多少天" });
    expect(before.body.answer?.id).not.toBe("faq-029");
    const current = await platform.api("/api/helpdesk/synonyms");
    const groups = [...current.body.groups, ["等标期", "卡标"]];
    const refused = await platform.api("/api/helpdesk/synonyms", { method: "PUT", token: await platform.token({ tenantCode: "441300", roles: ["supplier"] }), body: { groups } });
    expect(refused.status).toBe(403);
    const bad = await platform.api("/api/helpdesk/synonyms", { method: "PUT", token: agent, body: { groups: [["只有一个"]] } });
    expect(bad.status).toBe(400);
    const put = await platform.api("/api/helpdesk/synonyms", { method: "PUT", token: agent, body: { groups } });
    expect(put.status).toBe(200);
    const after = await ask({ question: "卡标多少天" });
    expect(after.body.answer).toMatchObject({ id: "faq-029" });
  });
});
