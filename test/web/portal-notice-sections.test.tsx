/**
 * A notice whose publisher sends a document in numbered sections (e-trading's 招标公告 in the national
 * format) is shown as that document: its heading, each section's title in order as a heading, each
 * item as a term and its value; the other public fields still in the table.
 */
import { NoticePage } from "../../web/src/portal/notices";
import { render, settle } from "./render";

const TENDER_SECTIONS = ["一、项目基本情况", "二、申请人的资格要求", "三、获取招标文件", "四、提交投标文件截止时间、开标时间和地点", "五、公告期限", "六、其他补充事宜", "七、对本次招标提出询问，请按以下方式联系"];

const NOTICE = {
  id: "n1",
  type: "tender",
  title: "惠州市城区道路照明设备采购项目",
  tenantCode: "441300",
  tenantName: { "zh-CN": "惠州市", en: "Huizhou" },
  unitName: "惠州市交通运输局",
  publishedAt: "2021-03-01T02:00:00.000Z",
  updatedAt: null,
  instanceId: "i1",
  workflowId: "etrading.public-tender",
  fields: {
    title: "惠州市城区道路照明设备采购项目",
    notice: {
      format: "政府采购公告和公示信息格式规范（2020年版）（财办库〔2020〕50号）",
      kind: "招标公告",
      heading: "惠州市城区道路照明设备采购项目招标公告",
      sections: TENDER_SECTIONS.map((title, i) => ({ title, items: i === 0 ? [{ label: "最高限价", value: "1350000.00 元" }, { label: "预算金额", value: "1400000.00 元" }] : [{ label: `项${i}`, value: `值${i}` }] })),
    },
  },
};

let realFetch: typeof fetch;
beforeAll(() => {
  realFetch = globalThis.fetch;
  globalThis.fetch = (async (url: string) => {
    const path = new URL(url, "http://localhost").pathname;
    const body: unknown = path === "/api/workflows" ? [] : path === "/api/portal/notices/n1" ? NOTICE : null;
    // jsdom has no Response: the part of one the client reads
    const text = JSON.stringify(body);
    return { ok: !!body, status: body ? 200 : 404, text: async () => text, json: async () => JSON.parse(text), headers: { get: () => null } };
  }) as unknown as typeof fetch;
});
afterAll(() => {
  globalThis.fetch = realFetch;
});

test("the portal shows a notice's numbered sections in order, as headings with their items (zh-CN, and marked Chinese in en)", async () => {
  const page = await render(<NoticePage id="n1" />);
  await settle();
  await settle();
  const doc = page.container.querySelector("section.notice-document")!;
  expect(doc.querySelector("h2")!.textContent).toBe("惠州市城区道路照明设备采购项目招标公告");
  expect([...doc.querySelectorAll("h3")].map((h) => h.textContent)).toEqual(TENDER_SECTIONS);
  const first = doc.querySelector("section section dl")!;
  expect([...first.querySelectorAll("dt")].map((x) => x.textContent)).toEqual(["最高限价", "预算金额"]);
  expect([...first.querySelectorAll("dd")].map((x) => x.textContent)).toEqual(["1350000.00 元", "1400000.00 元"]);
  // each section is a region named by its own heading
  expect(doc.querySelector("section section")!.getAttribute("aria-labelledby")).toBe(doc.querySelector("h3")!.id);
  // the document is not dumped a second time as raw data in the table
  expect(page.container.querySelector("table")?.textContent ?? "").not.toContain("一、项目基本情况");
  await page.unmount();

  const en = await render(<NoticePage id="n1" />, "en");
  await settle();
  await settle();
  const marked = [...en.container.querySelectorAll('section.notice-document [lang="zh-CN"]')].map((el) => el.textContent);
  expect(marked).toEqual(expect.arrayContaining(["一、项目基本情况", "最高限价"]));
  await en.unmount();
});
