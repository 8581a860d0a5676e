import { RouterProvider } from "../../web/src/router";
import { Pager } from "../../web/src/ui/parts";
import { render } from "./render";

/** The pager of every list: lists answer an estimate beyond 10,000 rows and serve pages up to 10,000 only. */
describe("the pager", () => {
  const pager = (props: { page: number; total: number; totalIsEstimate?: boolean }, lang: "zh-CN" | "en" = "zh-CN") =>
    render(
      <RouterProvider>
        <Pager pageSize={20} hrefFor={(p) => `/portal?page=${p}`} {...props} />
      </RouterProvider>,
      lang,
    );
  const pageLinks = (el: HTMLElement) => [...el.querySelectorAll("a[aria-label]")].map((a) => Number(a.textContent));

  test("an estimated total says so, in both languages, and never offers a page the list would refuse", async () => {
    const zh = await pager({ page: 1, total: 1_100_056, totalIsEstimate: true });
    expect(zh.container.querySelector(".pager-total")?.textContent).toBe("约 1100056 条");
    expect(Math.max(...pageLinks(zh.container))).toBe(10_000);
    await zh.unmount();
    const en = await pager({ page: 10_000, total: 1_100_056, totalIsEstimate: true }, "en");
    expect(en.container.querySelector(".pager-total")?.textContent).toBe("about 1100056 in all");
    expect(en.container.querySelector('a[rel="next"]')).toBeNull();
    await en.unmount();
  });

  test("an exact total is shown as before, with its last page", async () => {
    const zh = await pager({ page: 1, total: 45 });
    expect(zh.container.querySelector(".pager-total")?.textContent).toBe("共 45 条");
    expect(Math.max(...pageLinks(zh.container))).toBe(3);
    await zh.unmount();
  });
});
