/**
 * The runner's side of the evaluation page: once the report is signed, the award form offers the report's
 * candidates in order with the first-ranked chosen, sends another candidate with its reason, and shows a refused
 * request's field error beside its field (aria-invalid, aria-describedby); the confirm-by day and the warning.
 */
import { session } from "../../web/src/auth/session";
import { EvaluationPage } from "../../web/src/evaluation/pages";
import { RouterProvider } from "../../web/src/router";
import { click, render, settle, type } from "./render";

const ID = "5b1d2c3b-1111-4a5b-8c9d-0000000000e2";
const bids = [
  { bidId: "b1", supplierName: "惠州市绿源照明科技有限公司", price: "400000.00", order: 1, qualification: { passed: true, reason: null, sme: false, consortium: false } },
  { bidId: "b2", supplierName: "惠州市明途光电科技有限公司", price: "380000.00", order: 2, qualification: { passed: true, reason: null, sme: false, consortium: false } },
  { bidId: "b3", supplierName: "惠州市华光照明有限公司", price: "420000.00", order: 3, qualification: { passed: false, reason: "营业执照已过期", sme: false, consortium: false } },
];
const EVALUATION = {
  id: ID, title: "惠州市桥梁健康监测设备采购", method: "comprehensive", status: "signed", round: 1, committeeSize: 5, submitted: 5, signed: 5, members: null, chairElected: true, chair: null,
  smeDeduction: 0, consortiumDeduction: 0, indicators: [], criteria: [{ id: "tech", title: "技术方案", max: 70 }], bids,
  report: {
    ranking: [
      { rank: 1, bidId: "b2", supplierName: bids[1].supplierName, price: "380000.00", evaluatedPrice: "380000.00", technical: 60, priceScore: 30, total: 90 },
      { rank: 2, bidId: "b1", supplierName: bids[0].supplierName, price: "400000.00", evaluatedPrice: "400000.00", technical: 60, priceScore: 28.5, total: 88.5 },
    ],
    signatures: [],
  },
  reportDelivered: { at: "2026-12-01T02:00:00.000Z", rule: "award.reportDelivery" }, confirmBy: "2026-12-08", awardWarned: true, signBy: null, award: null, contract: null, refusals: [], awardHold: null,
};
const REFUSED = { error: { code: "VALIDATION_FAILED", message: "请求数据不符合要求", details: [{ path: "/reason", rule: "award.purchaserConfirm", message: { "zh-CN": "未按评审报告的排序确定排名第一的候选人，应说明理由（award.purchaserConfirm）", en: "a reason" } }] } };

let realFetch: typeof fetch;
const sent: Array<{ url: string; method: string; body: unknown }> = [];
beforeAll(async () => {
  realFetch = globalThis.fetch;
  globalThis.fetch = (async (url: string, init?: { method?: string; body?: string }) => {
    const method = init?.method ?? "GET";
    const body = init?.body ? JSON.parse(init.body) : undefined;
    sent.push({ url, method, body });
    let status = 200;
    let answer: unknown = EVALUATION;
    if (url.endsWith("/auth/login")) answer = { token: "t", refreshToken: "r", expiresIn: 900, mustChangePassword: false, user: { id: "p1", username: "b", displayName: "采购人", tenantCode: "441300", roles: ["purchaser"] } };
    else if (url.endsWith("/me")) answer = { user: { id: "p1", roles: ["purchaser"] }, permissions: [] };
    else if (url.endsWith("/award") && !body.reason) [status, answer] = [400, REFUSED];
    const text = JSON.stringify(answer);
    return { ok: status < 300, status, text: async () => text, json: async () => JSON.parse(text), headers: { get: () => null } };
  }) as unknown as typeof fetch;
  await session.login("b", "p");
});
afterAll(() => {
  globalThis.fetch = realFetch;
});

test("the award form: the report's candidates in order, the first chosen; another needs its reason, shown beside the field; then sent with it", async () => {
  const { container } = await render(<RouterProvider><EvaluationPage id={ID} /></RouterProvider>);
  await settle();
  const panel = container.querySelector("section[aria-labelledby=evaluation-runner]")!;
  // award.purchaserConfirm: the confirm-by day and, once given, the warning
  expect(panel.textContent).toContain("应于 2026-12-08 前确定中标人");
  expect(panel.querySelector("[role=alert]")?.textContent).toContain("确定中标人的期限 2026-12-08 已到");
  const radios = [...panel.querySelectorAll("input[type=radio]")] as HTMLInputElement[];
  expect(radios.map((r) => r.closest("label")!.textContent!.trim())).toEqual(["第 1 名：惠州市明途光电科技有限公司（380000.00 元）", "第 2 名：惠州市绿源照明科技有限公司（400000.00 元）"]);
  expect(radios.map((r) => r.checked)).toEqual([true, false]);
  // the disqualified bidder with its reason
  expect(panel.textContent).toContain("惠州市华光照明有限公司：不通过（原因：营业执照已过期）");

  await click(radios[1]);
  const submit = [...panel.querySelectorAll("button")].find((b) => b.textContent === "确定中标人")!;
  await click(submit);
  await settle();
  const reason = panel.querySelector("#evaluation-award-reason") as HTMLTextAreaElement;
  expect(reason.getAttribute("aria-invalid")).toBe("true");
  expect(reason.getAttribute("aria-required")).toBe("true");
  expect(panel.querySelector(`#${reason.getAttribute("aria-describedby")}`)?.textContent).toContain("award.purchaserConfirm");

  await type(reason, "第一名的交货期不满足采购需求");
  await click(submit);
  await settle();
  const awards = sent.filter((s) => s.url.endsWith(`/api/evaluation/evaluations/${ID}/award`));
  expect(awards.map((s) => s.body)).toEqual([{ bidId: "b1" }, { bidId: "b1", reason: "第一名的交货期不满足采购需求" }]);
  expect(panel.textContent).toContain("已确定中标人");
});
