/**
 * The expert's score sheet: the member's own saved scores fill it, a save sends the sheet as typed
 * (one score per bid and criterion), and the report waits for every member.
 */
import { session } from "../../web/src/auth/session";
import { EvaluationPage } from "../../web/src/evaluation/pages";
import { RouterProvider } from "../../web/src/router";
import { click, render, settle, type } from "./render";

const ID = "5b1d2c3b-1111-4a5b-8c9d-0000000000e1";
const EVALUATION = {
  id: ID, title: "惠州市桥梁健康监测设备采购", method: "comprehensive", status: "scoring", round: 1, committeeSize: 5, submitted: 1, signed: 0, mySubmission: false, members: ["u0", "u1", "u2", "u3", "u4"], chairElected: true, chair: "u1",
  indicators: [{ kind: "abnormally-low", bidIds: ["b1"], evidence: {}, explanation: { text: "自有库存设备" } }],
  criteria: [{ id: "tech", title: "技术方案", titleEn: "Technical", max: 40 }, { id: "service", title: "售后服务", titleEn: "Service", max: 30 }],
  bids: [
    { bidId: "b1", supplierName: "惠州市绿源照明科技有限公司", price: "400000.00", order: 1, qualification: { passed: true } },
    { bidId: "b2", supplierName: "惠州市明途光电科技有限公司", price: "401000.00", order: 2, qualification: { passed: false } },
  ],
  report: null,
};

let realFetch: typeof fetch;
const sent: Array<{ url: string; method: string; body: unknown }> = [];
beforeAll(async () => {
  realFetch = globalThis.fetch;
  globalThis.fetch = (async (url: string, init?: { method?: string; body?: string }) => {
    const method = init?.method ?? "GET";
    sent.push({ url, method, body: init?.body ? JSON.parse(init.body) : undefined });
    let body: unknown = EVALUATION;
    if (url.endsWith("/auth/login")) body = { token: "t", refreshToken: "r", expiresIn: 900, mustChangePassword: false, user: { id: "u1", username: "e", displayName: "专家", tenantCode: "441300", roles: ["expert"] } };
    else if (url.endsWith("/me")) body = { user: { id: "u1", roles: ["expert"] }, permissions: [] };
    else if (url.endsWith("/scores/mine")) body = { items: [{ bidId: "b1", criterion: "tech", score: 31.5 }] };
    else if (method === "PUT") body = { saved: 2 };
    const text = JSON.stringify(body);
    return { ok: true, status: 200, text: async () => text, json: async () => JSON.parse(text), headers: { get: () => null } };
  }) as unknown as typeof fetch;
  await session.login("e", "p");
});
afterAll(() => {
  globalThis.fetch = realFetch;
});

test("a member's sheet holds the qualified bids only, filled with its own saved scores; a save sends what was typed", async () => {
  const { container } = await render(<RouterProvider><EvaluationPage id={ID} /></RouterProvider>);
  await settle();
  const inputs = [...container.querySelectorAll("input[type=number]")] as HTMLInputElement[];
  // one qualified bid × two criteria; the disqualified bid is not on the sheet
  expect(inputs.map((i) => i.getAttribute("aria-label"))).toEqual(["惠州市绿源照明科技有限公司：技术方案", "惠州市绿源照明科技有限公司：售后服务"]);
  expect(inputs[0].value).toBe("31.5");
  await type(inputs[1], "25");
  await click([...container.querySelectorAll("button")].find((b) => b.textContent === "保存")!);
  await settle();
  const put = sent.find((s) => s.method === "PUT")!;
  expect(put.url).toContain(`/api/evaluation/evaluations/${ID}/scores`);
  expect(put.body).toEqual({ scores: [{ bidId: "b1", criterion: "tech", score: 31.5 }, { bidId: "b1", criterion: "service", score: 25 }] });
  expect(container.textContent).toContain("评分已保存");
  // the elected chair (the signed-in member here) and the committee's flags with the recorded explanation
  expect(container.textContent).toContain("组长：第 2 位成员（本人）");
  expect(container.textContent).toContain("书面说明：自有库存设备");
  // no report before every member submitted
  expect(container.textContent).not.toContain("评审报告");
});
