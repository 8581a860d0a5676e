/**
 * The console's dead-letter page: a table an administrator can read (caption, column headers, the
 * error and tries) in both languages, and a replay button per letter, named for that letter, that
 * asks the platform to replay it.
 */
import { DeadLettersPage } from "../../web/src/admin/dead-letters";
import type { DeadLetter } from "../../web/src/api/types";
import { RouterProvider } from "../../web/src/router";
import { click, render, settle } from "./render";

const LETTER: DeadLetter = {
  id: "7",
  consumer: "portal.notices",
  event: "portal.publish",
  eventId: "8d1f3a2c-1111-4c4c-9c9c-000000000042",
  key: "3f1d2c3b-1111-4a5b-8c9d-000000000001",
  eventAt: "2027-01-05T02:00:00.000Z",
  payload: {},
  error: "duplicate key value violates unique constraint",
  attempts: 6,
  failedAt: "2027-01-05T02:01:00.000Z",
  replayedAt: null,
};

let realFetch: typeof fetch;
let realConfirm: typeof window.confirm;
const asked: Array<{ url: string; method: string }> = [];
let open: DeadLetter[] = [LETTER];
beforeAll(() => {
  realFetch = globalThis.fetch;
  realConfirm = window.confirm;
  window.confirm = () => true;
  globalThis.fetch = (async (url: string, init?: { method?: string }) => {
    const method = init?.method ?? "GET";
    asked.push({ url, method });
    let body: unknown = { items: open, total: open.length, page: 1, pageSize: 200 };
    if (method === "POST") {
      body = { ...LETTER, replayedAt: "2027-01-06T02:00:00.000Z" };
      open = [];
    }
    const text = JSON.stringify(body);
    return { ok: true, status: 200, text: async () => text, json: async () => JSON.parse(text), headers: { get: () => null } };
  }) as unknown as typeof fetch;
});
afterAll(() => {
  globalThis.fetch = realFetch;
  window.confirm = realConfirm;
});
afterEach(() => {
  document.body.innerHTML = "";
  asked.length = 0;
  open = [LETTER];
});

test("lists each dead letter with its subscriber, event, error and tries, in a captioned table with column headers", async () => {
  const { container } = await render(<RouterProvider><DeadLettersPage /></RouterProvider>);
  await settle();
  const table = container.querySelector("table[data-testid=dead-letters]")!;
  expect(table.querySelector("caption")!.textContent).toBe("待处理的死信（共 1 条，最新的在前）");
  expect([...table.querySelectorAll("thead th")].map((th) => [th.getAttribute("scope"), th.textContent])).toEqual([
    ["col", "失败时间"],
    ["col", "订阅者"],
    ["col", "事件"],
    ["col", "最后一次错误"],
    ["col", "尝试次数"],
    ["col", "操作"],
  ]);
  const cells = [...table.querySelectorAll("tbody td")].map((td) => td.textContent);
  expect(cells).toEqual(expect.arrayContaining(["portal.notices", "duplicate key value violates unique constraint", "6"]));
  expect(asked[0].url).toMatch(/\/api\/events\/dead-letters\?pageSize=50$/);
  // the open letters export, as the page lists them
  expect([...container.querySelectorAll(".export-buttons button")].map((b) => b.textContent)).toEqual(["导出 Excel", "导出 CSV"]);
});

test("English, and a replay: the button names its letter, posts the replay and the list is read again", async () => {
  const { container } = await render(<RouterProvider><DeadLettersPage /></RouterProvider>, "en");
  await settle();
  const button = container.querySelector("tbody button")!;
  expect(button.getAttribute("aria-label")).toBe("Replay event portal.publish (subscriber portal.notices)");
  await click(button);
  await settle();
  expect(asked.filter((a) => a.method === "POST").map((a) => a.url)).toEqual([expect.stringMatching(/\/api\/events\/dead-letters\/7\/replay$/)]);
  expect(container.querySelector("[role=status]")!.textContent).toBe("Event portal.publish handed to portal.notices again.");
  expect(container.textContent).toContain("No dead letters to deal with.");
});
