import { formatMessages } from "../../core/forms/formats";
import { ApiError } from "../../web/src/api/client";
import { SchemaForm } from "../../web/src/forms/schema-form";
import { LanguageSwitch } from "../../web/src/i18n";
import { click, render, settle, type } from "./render";

/** A small plan form: a required name, money, a working day and a list of priced items. */
const schema = {
  type: "object",
  title: "采购计划",
  titleEn: "Procurement plan",
  additionalProperties: false,
  required: ["name", "total", "items"],
  properties: {
    name: { type: "string", title: "项目名称", titleEn: "Project name", minLength: 2 },
    total: { type: "string", title: "合计金额（元）", titleEn: "Total (yuan)", format: "money", minMoney: "0.01" },
    start: { type: "string", title: "启动日期", titleEn: "Start", format: "working-day" },
    items: {
      type: "array",
      title: "采购明细",
      titleEn: "Items",
      minItems: 1,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "amount"],
        properties: {
          name: { type: "string", title: "标的名称", titleEn: "Item" },
          amount: { type: "string", title: "金额（元）", titleEn: "Amount (yuan)", format: "money" },
        },
      },
    },
  },
};
const valid = { name: "办公设备", total: "300.00", items: [{ name: "打印机", amount: "100.00" }, { name: "扫描仪", amount: "200.00" }] };

const q = (c: HTMLElement, sel: string) => c.querySelector(sel);
const fieldOf = (c: HTMLElement, id: string) => c.querySelector(`#${id}`)!.closest(".form-group") as HTMLElement;

afterEach(() => {
  document.body.innerHTML = "";
});

describe("a form shows the server's refusal beside the fields it names", () => {
  test("each detail appears at its field and in the summary, which takes the focus and links to the field", async () => {
    const onSubmit = jest.fn().mockRejectedValue(
      new ApiError(400, "VALIDATION_FAILED", "提交的数据未通过校验", [
        { path: "/items/1/amount", rule: "amount", message: { "zh-CN": "应为 数量×单价 = 150.00", en: "must be quantity × unit price = 150.00" } },
        { path: "/total", rule: "sum", message: { "zh-CN": "应等于各明细金额之和", en: "must equal the sum of the items" } },
        { path: "/approvedBy", rule: "additionalProperties", message: { "zh-CN": "表单中没有这一项", en: "no such field" } },
      ]),
    );
    const { container } = await render(<SchemaForm schema={schema} formData={valid} onSubmit={onSubmit} submitLabel="提交" />);
    await click(q(container, "button[type=submit]"));
    await settle();
    expect(onSubmit).toHaveBeenCalledWith(valid);

    expect(fieldOf(container, "root_items_1_amount").textContent).toContain("应为 数量×单价 = 150.00");
    expect(fieldOf(container, "root_total").textContent).toContain("应等于各明细金额之和");
    expect(q(container, "#root_items_1_amount")!.getAttribute("aria-invalid")).toBe("true");
    // the message is what the input is described by
    const describedBy = q(container, "#root_items_1_amount")!.getAttribute("aria-describedby")!.split(" ");
    expect(describedBy.map((id) => document.getElementById(id)?.textContent ?? "").join(" ")).toContain("应为 数量×单价");

    const summary = q(container, ".error-summary") as HTMLElement;
    expect(summary.textContent).toContain("有 3 处需要修改");
    expect([...summary.querySelectorAll("li")].map((li) => li.textContent)).toEqual([
      "合计金额（元）：应等于各明细金额之和",
      "采购明细 › 第 2 项 › 金额（元）：应为 数量×单价 = 150.00",
      "approvedBy：表单中没有这一项",
    ]);
    expect(document.activeElement).toBe(summary);
    await click(summary.querySelector('a[href="#root_items_1_amount"]'));
    expect(document.activeElement).toBe(q(container, "#root_items_1_amount"));
  });

  test("correcting a field takes its message away; the others stay", async () => {
    const onSubmit = jest.fn().mockRejectedValue(
      new ApiError(400, "VALIDATION_FAILED", "", [
        { path: "/items/1/amount", rule: "amount", message: { "zh-CN": "金额不对", en: "wrong amount" } },
        { path: "/total", rule: "sum", message: { "zh-CN": "合计不对", en: "wrong total" } },
      ]),
    );
    const { container } = await render(<SchemaForm schema={schema} formData={valid} onSubmit={onSubmit} submitLabel="提交" />);
    await click(q(container, "button[type=submit]"));
    await settle();
    await type(q(container, "#root_items_1_amount"), "150.00");
    expect(fieldOf(container, "root_items_1_amount").textContent).not.toContain("金额不对");
    expect(fieldOf(container, "root_total").textContent).toContain("合计不对");
    expect(q(container, ".error-summary")!.textContent).toContain("有 1 处需要修改");
  });

  test("a refusal that is not about fields is said plainly above the form, in the language on screen", async () => {
    const onSubmit = jest.fn().mockRejectedValue(new ApiError(409, "CONFLICT", "该业务已被他人修改，请刷新后重试"));
    const { container } = await render(<SchemaForm schema={schema} formData={valid} onSubmit={onSubmit} submitLabel="提交" />);
    await click(q(container, "button[type=submit]"));
    await settle();
    const alert = q(container, '[role="alert"]')!;
    expect(alert.textContent).toContain("该事项已被他人修改或状态已变化，请刷新后重试。");
    expect(alert.textContent).toContain("该业务已被他人修改，请刷新后重试");
  });
});

describe("a form checks in the browser by the server's rules before sending", () => {
  test("nothing is sent while fields are missing or malformed; each problem is at its field and in the summary", async () => {
    const onSubmit = jest.fn().mockResolvedValue(undefined);
    const { container } = await render(<SchemaForm schema={schema} formData={{ total: "12.345", start: "2026-10-01", items: [{}] }} onSubmit={onSubmit} submitLabel="提交" />);
    await click(q(container, "button[type=submit]"));
    await settle();
    expect(onSubmit).not.toHaveBeenCalled();
    expect(fieldOf(container, "root_name").textContent).toContain("必填项");
    expect(fieldOf(container, "root_total").textContent).toContain(formatMessages.money["zh-CN"]);
    expect(fieldOf(container, "root_start").textContent).toContain("应为工作日");
    const items = [...q(container, ".error-summary")!.querySelectorAll("li")].map((li) => li.textContent);
    expect(items).toEqual(expect.arrayContaining(["项目名称：必填项，请填写", "采购明细 › 第 1 项 › 标的名称：必填项，请填写"]));
  });

  test("money typed with a Chinese input method is stored as a money string and read back in words", async () => {
    const onSubmit = jest.fn().mockResolvedValue(undefined);
    const { container } = await render(<SchemaForm schema={schema} formData={{ ...valid, total: undefined }} onSubmit={onSubmit} submitLabel="提交" />);
    await type(q(container, "#root_total"), "１，２３４．５");
    expect((q(container, "#root_total") as HTMLInputElement).value).toBe("1234.5");
    expect(q(container, "#root_total__words")!.textContent).toBe("壹仟贰佰叁拾肆元伍角");
    await click(q(container, "button[type=submit]"));
    await settle();
    expect(onSubmit).toHaveBeenCalledWith({ ...valid, total: "1234.5" });
  });

  test("a working day says what day it is, holidays and make-up working days included", async () => {
    const { container } = await render(<SchemaForm schema={schema} formData={valid} onSubmit={jest.fn()} submitLabel="提交" />);
    await type(q(container, "#root_start"), "2026-10-01");
    expect(q(container, "#root_start__day")!.textContent).toBe("星期四，非工作日（周末或法定节假日）");
    await type(q(container, "#root_start"), "2026-09-20"); // a Sunday moved into work
    expect(q(container, "#root_start__day")!.textContent).toBe("星期日，工作日");
  });

  test("every input has a label tied to it", async () => {
    const { container } = await render(<SchemaForm schema={schema} formData={valid} onSubmit={jest.fn()} submitLabel="提交" />);
    const inputs = [...container.querySelectorAll("input, select, textarea")];
    expect(inputs.length).toBeGreaterThan(5);
    for (const input of inputs) expect(container.querySelector(`label[for="${input.id}"]`)).not.toBeNull();
  });

  test("switching the language shows the form, its errors and the summary in English", async () => {
    const onSubmit = jest.fn();
    const { container } = await render(
      <>
        <LanguageSwitch />
        <SchemaForm schema={schema} formData={{ items: [{ name: "x", amount: "1" }] }} onSubmit={onSubmit} submitLabel="Send" />
      </>,
    );
    await click(q(container, "button[type=submit]"));
    await settle();
    expect(fieldOf(container, "root_name").textContent).toContain("必填项");
    await click(q(container, "button.lang-switch"));
    await settle();
    expect(q(container, 'label[for="root_name"]')!.textContent).toContain("Project name");
    expect(fieldOf(container, "root_name").textContent).toContain("Required");
    expect(q(container, ".error-summary")!.textContent).toContain("things to correct");
    expect(q(container, ".error-summary")!.textContent).toContain("Project name：Required");
  });
});
