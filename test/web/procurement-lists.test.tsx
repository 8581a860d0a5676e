/**
 * The e-trading tenders, evaluations and challenges pages on their paged lists: the address's search
 * and page are the API's query, the pager links the next page, and the export carries the same filters.
 */
import { ChallengesPage } from "../../web/src/complaints/pages";
import { TendersPage } from "../../web/src/etrading/tenders";
import { EvaluationsPage } from "../../web/src/evaluation/pages";
import { RouterProvider } from "../../web/src/router";
import { click, render, settle, type } from "./render";

describe("procurement lists in the workspace", () => {
  let realFetch: typeof fetch;
  const asked: string[] = [];
  const TENDER = {
    id: "8d0f5d8e-2c1a-4c59-9a57-1b7c3c1f0a01", instanceId: "8d0f5d8e-2c1a-4c59-9a57-1b7c3c1f0a01", title: "惠州市道路照明设备采购", method: "public-tender", methodTitle: { "zh-CN": "公开招标", en: "Open tender" },
    purchaserName: "惠州市交通运输局", agencyName: null, maxPrice: "1350000.00", status: "published", publishedAt: null, docsUntil: null, bidDeadline: "2026-04-01T01:30:00.000Z",
    docsVersion: 1, serverTime: "2026-03-01T00:00:00.000Z", mine: false, config: { minBidders: { value: 3 }, finalOfferRounds: false, priceMayChange: false, invitation: "notice" },
  };
  const CHALLENGE = { id: "8d0f5d8e-2c1a-4c59-9a57-1b7c3c1f0a02", tenderId: TENDER.id, tenderTitle: TENDER.title, target: "documents", status: "awaiting-reply", clocks: [] };

  beforeAll(() => {
    realFetch = globalThis.fetch;
    globalThis.fetch = (async (url: string) => {
      asked.push(url);
      const items = url.includes("/etrading/") ? [TENDER] : url.includes("/complaints/") ? [CHALLENGE] : [];
      const body = url.includes("/export") ? { error: { code: "FORBIDDEN", message: "不允许" } } : { items, total: 45, totalIsEstimate: false, page: 2, pageSize: 20, nextCursor: "x", serverTime: TENDER.serverTime };
      const text = JSON.stringify(body);
      const ok = !url.includes("/export");
      return { ok, status: ok ? 200 : 403, statusText: "", text: async () => text, json: async () => JSON.parse(text), headers: { get: () => null } };
    }) as unknown as typeof fetch;
  });
  afterAll(() => {
    globalThis.fetch = realFetch;
  });
  afterEach(() => {
    document.body.innerHTML = "";
    asked.length = 0;
  });
  const button = (container: HTMLElement, text: string) => [...container.querySelectorAll("button")].find((b) => b.textContent === text)!;

  test("tenders: the address's search and page are the list's query; a new search starts at page 1; the pager links page 3; the export has the search", async () => {
    window.history.replaceState(null, "", "/etrading/tenders?q=%E7%85%A7%E6%98%8E&page=2");
    const { container } = await render(
      <RouterProvider>
        <TendersPage />
      </RouterProvider>,
    );
    await settle();
    expect(asked).toContainEqual(expect.stringContaining("/api/etrading/tenders?q=%E7%85%A7%E6%98%8E&page=2&pageSize=20"));
    expect(container.querySelector("a[rel=next]")?.getAttribute("href")).toBe("/etrading/tenders?q=%E7%85%A7%E6%98%8E&page=3");
    await type(container.querySelector("input[type=search]"), "路灯");
    await click(button(container, "查找"));
    await settle();
    expect(asked).toContainEqual(expect.stringContaining("/api/etrading/tenders?q=%E8%B7%AF%E7%81%AF&page=1&pageSize=20"));
    await click(button(container, "导出 CSV"));
    await settle();
    expect(asked).toContainEqual("/api/etrading/tenders/export?q=%E8%B7%AF%E7%81%AF&format=csv&lang=zh-CN");
  });

  test("challenges of one tender: the tender is the list's and the export's filter, the page the list's", async () => {
    window.history.replaceState(null, "", `/complaints/challenges?tender=${TENDER.id}&page=2`);
    const { container } = await render(
      <RouterProvider>
        <ChallengesPage />
      </RouterProvider>,
    );
    await settle();
    expect(asked).toContainEqual(expect.stringContaining(`/api/complaints/challenges?tenderId=${TENDER.id}&page=2&pageSize=50`));
    await click(button(container, "导出 Excel"));
    await settle();
    expect(asked).toContainEqual(`/api/complaints/challenges/export?tenderId=${TENDER.id}&format=xlsx&lang=zh-CN`);
    expect(container.querySelector("[role=alert]")?.textContent).toContain("不允许");
  });

  test("evaluations: the page is the list's query and the export is offered", async () => {
    window.history.replaceState(null, "", "/evaluation?page=3");
    const { container } = await render(
      <RouterProvider>
        <EvaluationsPage />
      </RouterProvider>,
      "en",
    );
    await settle();
    expect(asked).toContainEqual(expect.stringContaining("/api/evaluation/evaluations?page=3&pageSize=50"));
    await click(button(container, "Export to CSV"));
    await settle();
    expect(asked).toContainEqual("/api/evaluation/evaluations/export?format=csv&lang=en");
  });
});
