/**
 * Public notices and case pages show data as its forms name it: the forms' titles, the options'
 * words, one money format (¥1,234,567.00, with the amount in words where the form shows it), never
 * field names (`publishedAt`, `documentHash`) or codes (`public-tender`, `pass`, `etrading`).
 */
import { readFormFiles, servedSchema } from "../../core/forms/validate";
import { catalogOf, displayValue } from "../../web/src/forms/field-catalog";
import { formatMoney } from "../../web/src/forms/money-text";
import { NoticePage } from "../../web/src/portal/notices";
import { render, settle } from "./render";

const formDoc = (id: string) => {
  const { schema, ui } = readFormFiles(id);
  return { formId: id, version: 1, tenant: null, title: { "zh-CN": String(schema.title), en: String(schema.titleEn) }, schema: servedSchema(schema), uiSchema: ui };
};

const title = { "zh-CN": "x", en: "x" };
const WORKFLOWS = [
  {
    id: "supervision.plan",
    plugin: "supervision",
    title,
    description: null,
    version: 1,
    initial: "draft",
    states: [],
    start: { roles: ["purchaser"], form: "supervision.plan" },
    transitions: [
      { name: "choose-channel", title, from: "filed", to: "executing", roles: ["purchaser"], form: "supervision.channel" },
      { name: "award", title, from: "executing", to: "awarded", roles: ["purchaser"], form: "supervision.result" },
    ],
  },
  {
    id: "supervision.contract",
    plugin: "supervision",
    title,
    description: null,
    version: 1,
    initial: "draft",
    states: [],
    start: { roles: ["purchaser"], form: "supervision.contract" },
    transitions: [],
  },
];

const NOTICES: Record<string, unknown> = {
  result: {
    id: "result",
    type: "result",
    title: "惠州市某路段照明采购",
    tenantCode: "441300",
    tenantName: { "zh-CN": "惠州市", en: "Huizhou" },
    unitName: "惠州市交通运输局",
    publishedAt: "2027-01-05T02:00:00.000Z",
    updatedAt: "2027-01-05T02:00:00.000Z",
    instanceId: "00000000-0000-4000-8000-000000000001",
    workflowId: "supervision.plan",
    fields: { projectName: "惠州市某路段照明采购", purchaserName: "惠州市交通运输局", method: "public-tender", supplierName: "惠州市绿源照明科技有限公司", amount: "1234567", awardDate: "2027-01-04", noticeText: "成交" },
  },
  contract: {
    id: "contract",
    type: "contract",
    title: "惠州市某路段照明采购",
    tenantCode: "441300",
    tenantName: { "zh-CN": "惠州市", en: "Huizhou" },
    unitName: "惠州市交通运输局",
    publishedAt: "2027-02-05T02:00:00.000Z",
    updatedAt: "2027-02-05T02:00:00.000Z",
    instanceId: "00000000-0000-4000-8000-000000000002",
    workflowId: "supervision.contract",
    fields: { projectName: "惠州市某路段照明采购", amount: "480000.5", signedOn: "2027-02-01", documentHash: "a".repeat(64), filedOn: "2027-02-05", publishedAt: "2027-02-05T02:00:00.000Z" },
  },
};

let realFetch: typeof fetch;
beforeAll(() => {
  realFetch = globalThis.fetch;
  globalThis.fetch = (async (url: string) => {
    const path = new URL(url, "http://localhost").pathname;
    let body: unknown = null;
    if (path === "/api/workflows") body = WORKFLOWS;
    else if (path.startsWith("/api/forms/")) body = formDoc(decodeURIComponent(path.slice("/api/forms/".length)));
    else if (path.startsWith("/api/portal/notices/")) body = NOTICES[path.slice("/api/portal/notices/".length)];
    // jsdom has no Response: the part of one the client reads
    const text = JSON.stringify(body);
    return { ok: !!body, status: body ? 200 : 404, text: async () => text, json: async () => JSON.parse(text), headers: { get: () => null } };
  }) as unknown as typeof fetch;
});
afterAll(() => {
  globalThis.fetch = realFetch;
});

describe("data shown by its forms", () => {
  test("one money format: grouped yuan with two decimals, by the digits", () => {
    expect(formatMoney("1234567")).toBe("¥1,234,567.00");
    expect(formatMoney("480000.5")).toBe("¥480,000.50");
    expect(formatMoney("0.05")).toBe("¥0.05");
    expect(formatMoney("-12345678901.99")).toBe("-¥12,345,678,901.99");
    expect(formatMoney("not money")).toBe("not money");
  });

  test("options read by their words in each language, from uiSchema enumNames", () => {
    const catalog = catalogOf([formDoc("supervision.plan"), formDoc("supervision.channel"), formDoc("supervision.acceptance")]);
    expect(displayValue(catalog.get("method"), "public-tender", "zh-CN")).toBe("公开招标");
    expect(displayValue(catalog.get("method"), "public-tender", "en")).toBe("Public tender");
    expect(displayValue(catalog.get("channel"), "etrading", "zh-CN")).not.toBe("etrading");
    expect(displayValue(catalog.get("result"), "pass", "zh-CN")).toBe("合格");
    expect(displayValue(catalog.get("items/amount"), "1500", "zh-CN")).toBe("¥1,500.00");
    expect(catalog.get("items/amount")!.title!["zh-CN"]).toBe("金额（元）");
  });

  test.each([
    ["result", ["采购方式", "公开招标", "成交金额", "¥1,234,567.00", "壹佰贰拾叁万肆仟伍佰陆拾柒元整", "成交日期"], ["public-tender", "method", "amount", "awardDate", "1234567"]],
    ["contract", ["合同文本摘要（SHA-256）", "¥480,000.50", "发布时间", "备案日期"], ["documentHash", "publishedAt", "filedOn", "signedOn", "480000.5", "2027-02-05T02:00"]],
  ])("the public %s notice names its fields by the forms' titles and shows codes and amounts as words", async (id, shown, hidden) => {
    const page = await render(<NoticePage id={id} />);
    await settle();
    await settle();
    const text = page.container.querySelector("table, dl")?.closest("div")?.textContent ?? page.container.textContent ?? "";
    for (const s of shown) expect(text).toContain(s);
    for (const h of hidden) expect(text).not.toContain(h);
    await page.unmount();
  });

  test("in English, the forms' English titles and options", async () => {
    const page = await render(<NoticePage id="result" />, "en");
    await settle();
    await settle();
    const text = page.container.textContent ?? "";
    expect(text).toContain("Procurement method");
    expect(text).toContain("Public tender");
    expect(text).toContain("¥1,234,567.00");
    await page.unmount();
  });

  test("in English, Chinese names and titles are marked as Chinese for screen readers (WCAG 3.1.2); English words are not", async () => {
    const page = await render(<NoticePage id="result" />, "en");
    await settle();
    await settle();
    const marked = [...page.container.querySelectorAll('[lang="zh-CN"]')].map((el) => el.textContent);
    expect(marked).toEqual(expect.arrayContaining(["惠州市某路段照明采购", "惠州市交通运输局", "惠州市绿源照明科技有限公司"]));
    expect(marked).not.toContain("Public tender");
    await page.unmount();
    const zh = await render(<NoticePage id="result" />);
    await settle();
    await settle();
    expect(zh.container.querySelectorAll("[lang]")).toHaveLength(0);
    await zh.unmount();
  });
});
