import { RouterProvider } from "../../web/src/router";
import { CursorPager } from "../../web/src/ui/cursor-pager";
import { render } from "./render";

/** The pager of lists read by keyset cursor: the next page after this one's last row, and back to the first. */
describe("the cursor pager", () => {
  afterEach(() => window.history.replaceState(null, "", "/"));
  const pager = (props: { total: number; totalIsEstimate?: boolean; nextCursor?: string | null }, lang: "zh-CN" | "en" = "zh-CN") =>
    render(
      <RouterProvider>
        <CursorPager {...props} />
      </RouterProvider>,
      lang,
    );

  test("on the first page: the total and a link to the next page that keeps the filters", async () => {
    window.history.replaceState(null, "", "/admin/accounts?q=%E5%8C%BB%E9%99%A2");
    const zh = await pager({ total: 120, nextCursor: "WyJhY2NvdW50cyJd" });
    const nav = zh.container.querySelector("nav.pager")!;
    expect(nav.getAttribute("aria-label")).toBe("分页");
    expect(nav.querySelector(".pager-total")!.textContent).toBe("共 120 条");
    const next = nav.querySelector('a[rel="next"]')!;
    expect(next.textContent).toBe("下一页");
    expect(new URL(next.getAttribute("href")!, "http://x").searchParams.get("cursor")).toBe("WyJhY2NvdW50cyJd");
    expect(new URL(next.getAttribute("href")!, "http://x").searchParams.get("q")).toBe("医院");
    expect(nav.querySelectorAll("a")).toHaveLength(1);
    await zh.unmount();
  });

  test("after a cursor: back to the first page (the filters kept, the cursor dropped); on the last page no next link", async () => {
    window.history.replaceState(null, "", "/helpdesk/tickets?scope=region&cursor=abc");
    const en = await pager({ total: 20000, totalIsEstimate: true, nextCursor: null }, "en");
    const nav = en.container.querySelector("nav.pager")!;
    expect(nav.querySelector(".pager-total")!.textContent).toBe("about 20000 in all");
    const links = [...nav.querySelectorAll("a")];
    expect(links.map((a) => a.textContent)).toEqual(["First page"]);
    expect(links[0].getAttribute("href")).toBe("/helpdesk/tickets?scope=region");
    await en.unmount();
  });

  test("a list of one page shows its total only", async () => {
    const zh = await pager({ total: 3, nextCursor: null });
    expect(zh.container.querySelector("nav")).toBeNull();
    expect(zh.container.querySelector(".pager-total")!.textContent).toBe("共 3 条");
    await zh.unmount();
  });
});
