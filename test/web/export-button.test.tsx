import { act } from "react";
import { ExportButtons, fileNameOf } from "../../web/src/ui/export-button";
import { click, render, settle } from "./render";

/** The export buttons of a list: the list's filters go along, progress shows as the file streams, a refusal is told. */
describe("the export buttons", () => {
  let realFetch: typeof fetch;
  const asked: Array<{ url: string; headers: Record<string, string> }> = [];
  let answer: () => unknown;
  const downloads: Array<{ name: string; size: number }> = [];

  /** A streamed body whose chunks the test releases one by one. */
  function streamed(chunks: string[]) {
    const waiting: Array<() => void> = [];
    let i = 0;
    const release = () => waiting.shift()?.();
    const reader = {
      read: () =>
        new Promise<{ done: boolean; value?: Uint8Array }>((resolve) => {
          waiting.push(() => (i < chunks.length ? resolve({ done: false, value: new Uint8Array(Buffer.from(chunks[i++], "utf8")) }) : resolve({ done: true })));
        }),
    };
    return { reader, release };
  }

  beforeAll(() => {
    realFetch = globalThis.fetch;
    globalThis.fetch = (async (url: string, init?: { headers?: Record<string, string> }) => {
      asked.push({ url, headers: init?.headers ?? {} });
      return answer();
    }) as unknown as typeof fetch;
    URL.createObjectURL = ((blob: Blob) => {
      downloads.push({ name: "", size: blob.size });
      return "blob:export";
    }) as typeof URL.createObjectURL;
    URL.revokeObjectURL = () => undefined;
    HTMLAnchorElement.prototype.click = function clickDownload(this: HTMLAnchorElement) {
      downloads[downloads.length - 1].name = this.download;
    };
  });
  afterAll(() => {
    globalThis.fetch = realFetch;
  });
  afterEach(() => {
    asked.length = 0;
    downloads.length = 0;
    document.body.innerHTML = "";
  });

  test("CSV: the list's filters, the format and the language are asked for; rows are counted as they arrive; the file is saved under the server's name", async () => {
    const body = streamed(["\uFEFF类型,标题\r\n采购公告,甲\r\n", "结果公告,乙\r\n", "合同公告,丙\r\n"]);
    const headers = new Map([
      ["x-export-rows", "3"],
      ["content-type", "text/csv; charset=utf-8"],
      ["content-disposition", "attachment; filename=\"__.csv\"; filename*=UTF-8''%E5%85%AC%E5%91%8A.csv"],
    ]);
    answer = () => ({ ok: true, status: 200, headers: { get: (k: string) => headers.get(k.toLowerCase()) ?? null }, body: { getReader: () => body.reader } });
    const view = await render(<ExportButtons path="/portal/notices/export?tenant=441300&type=tender" fileName="notices" />);
    const [excel, csv] = [...view.container.querySelectorAll("button")];
    expect(view.container.querySelector('[role="group"]')?.getAttribute("aria-label")).toBe("导出当前筛选结果");
    expect(excel.textContent).toBe("导出 Excel");
    await click(csv);
    await settle();
    expect(asked[0].url).toBe("/api/portal/notices/export?tenant=441300&type=tender&format=csv&lang=zh-CN");
    await act(async () => body.release());
    await settle();
    const status = view.container.querySelector('[role="status"]')!;
    expect(status.textContent).toBe("正在导出 CSV：1 / 3 行");
    expect(view.container.querySelector("progress")?.getAttribute("max")).toBe("3");
    // while it runs, no second export can start, and it can be cancelled
    expect((csv as HTMLButtonElement).disabled).toBe(true);
    expect(view.container.querySelector("button:nth-of-type(3)")?.textContent).toBe("取消导出");
    for (let i = 0; i < 3; i++) {
      await act(async () => body.release());
      await settle();
    }
    expect(downloads).toEqual([{ name: "公告.csv", size: expect.any(Number) }]);
    expect(status.textContent).toBe("已导出 公告.csv");
    expect(view.container.querySelector("progress")).toBeNull();
    await view.unmount();
  });

  test("a refusal (too many rows) is shown as the server words it, in the page's language, as an alert", async () => {
    const envelope = { error: { code: "VALIDATION_FAILED", message: "The submitted data is not valid", details: [{ path: "/", rule: "rowLimit", message: { "zh-CN": "符合条件的记录约 300000 条，超过导出上限 200000 条：请缩小筛选范围", en: "About 300000 rows match, above the export limit of 200000: narrow the filters" } }] } };
    answer = () => ({ ok: false, status: 400, statusText: "Bad Request", headers: { get: () => null }, json: async () => envelope });
    const view = await render(<ExportButtons path="/portal/notices/export" />, "en");
    const [excel] = [...view.container.querySelectorAll("button")];
    expect(excel.textContent).toBe("Export to Excel");
    await click(excel);
    await settle();
    expect(asked[0].url).toBe("/api/portal/notices/export?format=xlsx&lang=en");
    expect(view.container.querySelector('[role="alert"]')?.textContent).toBe("Export failed: About 300000 rows match, above the export limit of 200000: narrow the filters");
    expect(downloads).toEqual([]);
    await view.unmount();
  });

  test("the file's name: the UTF-8 one when given, else the plain one, else the fallback", () => {
    expect(fileNameOf("attachment; filename=\"__.xlsx\"; filename*=UTF-8''%E5%85%AC%E5%91%8A.xlsx", "x.xlsx")).toBe("公告.xlsx");
    expect(fileNameOf('attachment; filename="notices.csv"', "x.csv")).toBe("notices.csv");
    expect(fileNameOf(null, "x.csv")).toBe("x.csv");
  });
});
