/**
 * The plan form fills what it can: the project picked by its name (an instance of the intention
 * workflow), the budget code from the signed-in account, each line's amount and the total as the
 * person types. Declared in the form's uiSchema (forms/supervision/supervision.plan.ui.json).
 */
import { readFormFiles, servedSchema } from "../../core/forms/validate";
import { accountDefaults, derivedUpdates } from "../../web/src/forms/derived";
import { SchemaForm } from "../../web/src/forms/schema-form";
import { render, settle, type } from "./render";

const { schema, ui } = readFormFiles("supervision.plan");
const served = servedSchema(schema) as Record<string, unknown>;
const uiSchema = ui as Record<string, unknown>;

const INTENTIONS = {
  items: [
    { id: "3f1d2c3b-1111-4a5b-8c9d-000000000001", workflowId: "supervision.intention", state: "published", data: { projectName: "惠州市某路段照明采购" }, createdAt: "2027-01-05T02:00:00.000Z" },
    { id: "3f1d2c3b-1111-4a5b-8c9d-000000000002", workflowId: "supervision.intention", state: "published", data: { projectName: "执法装备采购" }, createdAt: "2027-01-06T02:00:00.000Z" },
  ],
  total: 2,
  page: 1,
  pageSize: 100,
};

let realFetch: typeof fetch;
const asked: string[] = [];
beforeAll(() => {
  realFetch = globalThis.fetch;
  globalThis.fetch = (async (url: string) => {
    asked.push(url);
    const text = JSON.stringify(INTENTIONS);
    return { ok: true, status: 200, text: async () => text, json: async () => JSON.parse(text), headers: { get: () => null } };
  }) as unknown as typeof fetch;
});
afterAll(() => {
  globalThis.fetch = realFetch;
});
afterEach(() => {
  document.body.innerHTML = "";
});

describe("fields the plan form derives", () => {
  test("a line's amount follows its quantity and price, exactly, rounded to the fen as the server does", () => {
    const before = { items: [{ quantity: 3 }] };
    const after = { items: [{ quantity: 3, unitPrice: "0.10" }] };
    expect(derivedUpdates(uiSchema, before, after)).toEqual([{ path: ["items", 0, "amount"], value: "0.30" }]);
    expect(derivedUpdates(uiSchema, { items: [{ unitPrice: "33.33" }] }, { items: [{ unitPrice: "33.33", quantity: 1.5 }] })).toEqual([{ path: ["items", 0, "amount"], value: "50.00" }]);
  });

  test("the total follows the lines' amounts; a line removed is taken out of it", () => {
    const before = { items: [{ amount: "100.10" }, { amount: "200.20" }] };
    expect(derivedUpdates(uiSchema, before, { items: [{ amount: "100.10" }, { amount: "200.25" }] })).toEqual([{ path: ["total"], value: "300.35" }]);
    expect(derivedUpdates(uiSchema, before, { items: [{ amount: "100.10" }], total: "300.30" })).toEqual([{ path: ["total"], value: "100.10" }]);
  });

  test("a value written by hand stays until what it derives from changes", () => {
    const data = { items: [{ quantity: 2, unitPrice: "100000.00", amount: "250000.00" }], total: "250000.00" };
    expect(derivedUpdates(uiSchema, { ...data, total: "1" }, data)).toEqual([]);
  });

  test("the budget code comes from the signed-in account, unless the data has one", () => {
    expect(accountDefaults(uiSchema, {}, { unitCode: "441300401" })).toEqual({ budgetCode: "441300401" });
    expect(accountDefaults(uiSchema, { budgetCode: "441300999" }, { unitCode: "441300401" })).toEqual({ budgetCode: "441300999" });
    expect(accountDefaults(uiSchema, {}, { unitCode: null })).toEqual({});
  });

  test("in the form: the project is picked by its name, and the amounts add up as the person types", async () => {
    const page = await render(<SchemaForm schema={served} uiSchema={uiSchema} formData={{ items: [{}] }} onSubmit={async () => undefined} submitLabel="提交" />);
    await settle();
    const project = page.container.querySelector<HTMLSelectElement>("#root_projectId")!;
    expect(project.tagName).toBe("SELECT");
    expect(asked.some((u) => u.includes("/api/instances?") && u.includes("workflow=supervision.intention") && u.includes("state=published"))).toBe(true);
    expect([...project.options].map((o) => o.textContent)).toEqual(["请选择…", "惠州市某路段照明采购 · 2027-01-05", "执法装备采购 · 2027-01-06"]);
    await type(project, INTENTIONS.items[1].id);
    expect(project.value).toBe(INTENTIONS.items[1].id);

    await type(page.container.querySelector("#root_items_0_quantity"), "3");
    await type(page.container.querySelector("#root_items_0_unitPrice"), "1,234.50");
    await settle();
    expect(page.container.querySelector<HTMLInputElement>("#root_items_0_amount")!.value).toBe("3703.50");
    expect(page.container.querySelector<HTMLInputElement>("#root_total")!.value).toBe("3703.50");
    // the amount in words under the total, as under every money field
    expect(page.container.querySelector("#root_total__words")!.textContent).toBe("叁仟柒佰零叁元伍角");
    await type(page.container.querySelector("#root_items_0_quantity"), "4");
    await settle();
    expect(page.container.querySelector<HTMLInputElement>("#root_items_0_amount")!.value).toBe("4938.00");
    expect(page.container.querySelector<HTMLInputElement>("#root_total")!.value).toBe("4938.00");
    await page.unmount();
  });
});
