/**
 * The registries' list page (web/src/registries/pages.tsx): the page's filters become the API's query
 * (each registry's own parameter names and filters), the export carries the same filters, and the
 * table shows only the columns the answer has (a purchaser gets suppliers' public fields).
 */
import { RegistryPage, registryFilters, registryPaths } from "../../web/src/registries/pages";
import { RouterProvider } from "../../web/src/router";
import { click, render, settle, type } from "./render";

describe("the filters as the API's query", () => {
  test("suppliers: search, tenant, status, size class and SME under the API's names", () => {
    const address = new URLSearchParams("q=%20照明%20&tenant=441300&status=suspended&sizeClass=small&sme=true&page=3");
    expect(registryFilters("suppliers", address)).toEqual({ q: "照明", tenant: "441300", status: "suspended", sizeClass: "small", sme: "true" });
    expect(registryPaths("suppliers", address, 3)).toEqual({
      list: "/registries/suppliers?q=%E7%85%A7%E6%98%8E&tenant=441300&status=suspended&sizeClass=small&sme=true&page=3&pageSize=20",
      export: "/registries/suppliers/export?q=%E7%85%A7%E6%98%8E&tenant=441300&status=suspended&sizeClass=small&sme=true",
    });
  });

  test("purchasers: the tenant goes as tenantCode; a supplier's filters and a status the registry has not are left out", () => {
    const address = new URLSearchParams("tenant=441302&status=suspended&sizeClass=small&sme=false");
    expect(registryFilters("purchasers", address)).toEqual({ tenantCode: "441302" });
    expect(registryFilters("purchasers", new URLSearchParams("status=inactive"))).toEqual({ status: "inactive" });
  });

  test("agencies: no size class or SME filter; an empty or malformed value sends nothing", () => {
    expect(registryFilters("agencies", new URLSearchParams("tenant=4413&q=%20%20&sizeClass=micro&status=deregistered"))).toEqual({ status: "deregistered" });
    expect(registryPaths("agencies", new URLSearchParams(""), 1).export).toBe("/registries/agencies/export");
  });
});

describe("the page", () => {
  let realFetch: typeof fetch;
  const asked: string[] = [];
  const TREE = { code: "440000", name: { "zh-CN": "广东省", en: "Guangdong" }, onPlatform: true, accountRule: null, children: [{ code: "441300", name: { "zh-CN": "惠州市", en: "Huizhou" }, onPlatform: true, accountRule: null, children: [] }] };
  const FORM = {
    id: "registries.supplier",
    schema: { type: "object", properties: { sizeClass: { type: "string", enum: ["large", "medium", "small", "micro"] }, status: { type: "string", enum: ["active", "suspended", "deregistered"] } } },
    uiSchema: {
      sizeClass: { "ui:enumNames": ["大型企业", "中型企业", "小型企业", "微型企业"], "ui:enumNamesEn": ["Large enterprise", "Medium enterprise", "Small enterprise", "Micro enterprise"] },
      status: { "ui:enumNames": ["正常", "暂停", "注销"], "ui:enumNamesEn": ["Active", "Suspended", "Deregistered"] },
    },
  };
  // what a purchaser gets: the public fields only, no contacts
  const PUBLIC = { creditCode: "91441300MA4W7K2Q52", name: "惠州市明光照明有限公司", sizeClass: "small", sme: true, region: "441300", status: "active" };

  beforeAll(() => {
    realFetch = globalThis.fetch;
    globalThis.fetch = (async (url: string) => {
      asked.push(url);
      let body: unknown = { items: [PUBLIC], total: 1, totalIsEstimate: false, page: 1, pageSize: 20, nextCursor: null };
      if (url.includes("/api/tenants")) body = TREE;
      else if (url.includes("/api/forms/")) body = FORM;
      else if (url.includes("/export")) body = { error: { code: "FORBIDDEN", message: "不允许" } };
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

  test("the address's filters are the list's query, a filter changed asks again from page 1, the export has the same filters", async () => {
    window.history.replaceState(null, "", "/registries/suppliers?tenant=441300&sizeClass=small&page=2");
    const { container } = await render(
      <RouterProvider>
        <RegistryPage registry="suppliers" />
      </RouterProvider>,
    );
    await settle();
    expect(asked).toContainEqual(expect.stringContaining("/api/registries/suppliers?tenant=441300&sizeClass=small&page=2&pageSize=20"));

    const selects = [...container.querySelectorAll("select")];
    const labelOf = (el: Element) => el.closest("label")?.querySelector("span")?.textContent;
    expect(selects.map(labelOf)).toEqual(["地区", "状态", "企业规模", "中小微企业"]);
    await type(selects[3], "true");
    await settle();
    expect(window.location.search).toBe("?tenant=441300&sizeClass=small&sme=true");
    expect(asked).toContainEqual(expect.stringContaining("/api/registries/suppliers?tenant=441300&sizeClass=small&sme=true&page=1&pageSize=20"));

    const search = container.querySelector("input[type=search]")!;
    expect(labelOf(search)).toBe("关键词");
    await type(search, "明光");
    await click([...container.querySelectorAll("button")].find((b) => b.textContent === "搜索")!);
    await settle();
    expect(asked).toContainEqual(expect.stringContaining("/api/registries/suppliers?q=%E6%98%8E%E5%85%89&tenant=441300&sizeClass=small&sme=true&page=1"));

    await click([...container.querySelectorAll("button")].find((b) => b.textContent === "导出 Excel")!);
    await settle();
    expect(asked).toContainEqual("/api/registries/suppliers/export?q=%E6%98%8E%E5%85%89&tenant=441300&sizeClass=small&sme=true&format=xlsx&lang=zh-CN");
  });

  test("the table shows the fields the answer has, in the form's words, and no column for the hidden ones", async () => {
    window.history.replaceState(null, "", "/registries/suppliers");
    const { container } = await render(
      <RouterProvider>
        <RegistryPage registry="suppliers" />
      </RouterProvider>,
    );
    await settle();
    const headers = [...container.querySelectorAll("thead th")].map((th) => th.textContent);
    expect(headers).toEqual(["名称", "统一社会信用代码", "企业规模", "中小微企业", "注册地区", "状态"]);
    const cells = [...container.querySelectorAll("tbody tr:first-child > *")].map((c) => c.textContent);
    expect(cells).toEqual(["惠州市明光照明有限公司", "91441300MA4W7K2Q52", "小型企业", "是", "惠州市", "正常"]);
  });

  test("a registry that does not exist is a clear not-found with a way to the registries, asking nothing", async () => {
    window.history.replaceState(null, "", "/registries/banks");
    const { container } = await render(
      <RouterProvider>
        <RegistryPage registry="banks" />
      </RouterProvider>,
      "en",
    );
    await settle();
    expect(container.querySelector("h1")?.textContent).toBe("Page not found");
    expect(container.querySelector('a[href="/registries/suppliers"]')?.textContent).toBe("Registries");
    expect(asked.filter((u) => u.includes("/registries"))).toEqual([]);
  });
});
