/**
 * A plan of 200 lines (test/fixtures/forms: 12 fields a line, 2,400 inputs) in the form every page
 * uses: how long it takes to show, to check in the browser, to take a keystroke and to submit.
 * Measured in jsdom, which is slower than a browser at this; the figures go to the log (and
 * web/README.md); what the test asserts is behaviour: every line rendered, edited and submitted.
 */
import { performance } from "node:perf_hooks";
import { SchemaForm } from "../../web/src/forms/schema-form";
import { validator } from "../../web/src/forms/validator";
import planSchema from "../fixtures/forms/fixture/fixture.plan.schema.json";
import planUi from "../fixtures/forms/fixture/fixture.plan.ui.json";
import { planPayload } from "../fixtures/forms/plan-payload";
import { click, render, settle, type } from "./render";

const { $id: _id, ...schema } = planSchema as Record<string, unknown>;
void _id;

const ms = (t0: number) => Math.round((performance.now() - t0) * 10) / 10;

test("a 200-line plan renders, validates, takes keystrokes and submits (its timings logged)", async () => {
  const data = planPayload(200);
  const figures: Record<string, number> = {};

  let t0 = performance.now();
  expect(validator.validateFormData(data, schema as never).errors).toEqual([]);
  figures["first validation (compiles the schema), ms"] = ms(t0);
  t0 = performance.now();
  for (let i = 0; i < 20; i++) validator.validateFormData(data, schema as never);
  figures["validation, ms each (mean of 20)"] = Math.round(((performance.now() - t0) / 20) * 100) / 100;
  const bad = planPayload(200);
  bad.items[150].amount = "1.234";
  t0 = performance.now();
  expect(validator.validateFormData(bad, schema as never).errors).toHaveLength(1);
  figures["validation with an error, ms"] = ms(t0);

  const onSubmit = jest.fn().mockResolvedValue(undefined);
  t0 = performance.now();
  const { container, unmount } = await render(<SchemaForm schema={schema} uiSchema={planUi} formData={data} onSubmit={onSubmit} submitLabel="提交" />);
  figures["first render, ms"] = ms(t0);
  const inputs = container.querySelectorAll("input, select, textarea").length;
  expect(inputs).toBeGreaterThan(2000);

  const field = container.querySelector("#root_items_100_name");
  const keys: number[] = [];
  for (const text of ["办公桌 A", "办公桌 AB", "办公桌 ABC"]) {
    t0 = performance.now();
    await type(field, text);
    keys.push(ms(t0));
  }
  figures["keystroke in line 101, ms (median of 3)"] = keys.sort((a, b) => a - b)[1];
  expect((field as HTMLInputElement).value).toBe("办公桌 ABC");

  t0 = performance.now();
  await click(container.querySelector("button[type=submit]"));
  await settle();
  figures["submit (checks all 200 lines), ms"] = ms(t0);
  expect(onSubmit).toHaveBeenCalledTimes(1);

  // figures for web/README.md; the test asserts what the form does, not how fast (a loaded CI
  // machine is no measure)
  console.log(`200-line plan form (${inputs} inputs, jsdom):\n` + Object.entries(figures).map(([k, v]) => `  ${k}: ${v}`).join("\n"));
  await unmount();
});
