/**
 * Submissions/s of a plan filing (test/fixtures/forms/fixture.plan, 200 lines) validated through
 * the forms engine, FormRegistry.validateSubmission for a county under the province's and its
 * city's overlays (find the tenant's effective form, run its compiled validator, hand back the
 * form reference), against bare ajv: the same effective schema compiled once with the same options
 * and vocabulary, called directly. Same process, same payload, taking turns.
 *
 *   npx tsx test/bench/form-validation.ts
 *
 * Also shown, not in the target: refusals/s of a plan with one bad line, where the engine builds
 * the per-field details in two languages and bare ajv only says no.
 * PostgreSQL (for the form versions and overlays): a fresh embedded server in a temporary folder,
 * or a fresh database on DATABASE_URL's server; dropped at the end. FORM_BENCH_MS (default 2000) is
 * one measured run, FORM_BENCH_ROUNDS (default 3) the runs per variant; the median is reported.
 * A benchmark: it prints figures and exits 0 whether or not the target is met.
 */
import path from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import knexFactory from "knex";
import { runMigrations } from "../../core/db/migrate";
import { addFormVocabulary, FORM_AJV_OPTIONS } from "../../core/forms/formats";
import { FormRegistry } from "../../core/forms/registry";
import type { PluginManifest } from "../../core/plugins/types";
import { tenantTree } from "../../core/tenancy";
import { planPayload } from "../fixtures/forms/plan-payload";
import { NOISE_NOTE, ROOT, benchDatabase, envNumber, fmt, load, machine, median, spread, table, writeSummary } from "./lib";

const MEASURE_MS = envNumber("FORM_BENCH_MS", 2000);
const ROUNDS = Math.round(envNumber("FORM_BENCH_ROUNDS", 3));
const LINES = 200;
const TARGET = 0.8;
const TENANT = "441322";
const FORMS_DIR = path.join(ROOT, "test", "fixtures", "forms");

/** Calls `fn` back to back for `ms`; calls per second. Synchronous: validation is. */
function rate(fn: () => void, ms: number): number {
  const end = performance.now() + ms;
  const started = performance.now();
  let n = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
  }
  return n / ((performance.now() - started) / 1000);
}

function rounds(variants: Record<string, () => void>): Record<string, number[]> {
  const out: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (const fn of Object.values(variants)) rate(fn, 500); // warm-up, not counted
  for (let r = 0; r < ROUNDS; r++) {
    // Taking turns, the order rotating, so a burst of other work hits every variant.
    const names = Object.keys(variants);
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + r) % names.length];
      out[name].push(rate(variants[name], MEASURE_MS));
    }
  }
  return out;
}

async function main(): Promise<void> {
  const db = await benchDatabase("bench_forms");
  const knex = knexFactory({ client: "pg", connection: db.url, pool: { min: 0, max: 4 } });
  try {
    await runMigrations(knex, [{ name: "core", directory: path.join(ROOT, "core", "db", "migrations") }]);
    const plugin = { name: "fixture", title: { "zh-CN": "测试表单", en: "Test forms" }, version: "1.0.0", services: [], forms: ["fixture.plan"] } as PluginManifest;
    const forms = await FormRegistry.open(knex, [plugin], { tree: tenantTree(), formsDir: FORMS_DIR });
    const actor = { via: "bench" };
    await forms.putOverlay("fixture.plan", "440000", { tighten: { "/properties/year": { maximum: 2030 }, "/properties/items/items/properties/unitPrice": { maxMoney: "500000" } } }, actor);
    await forms.putOverlay(
      "fixture.plan",
      "441300",
      {
        addProperties: { projectCode: { type: "string", title: "项目编号", titleEn: "Project code", pattern: "^HZ[0-9]{6}$" } },
        required: ["projectCode"],
        tighten: { "/properties/method": { enum: ["public-tender", "inquiry"] }, "/properties/items/items": { required: ["budgetCode"] } },
      },
      actor,
    );

    const valid = { ...planPayload(LINES), projectCode: "HZ000017" };
    const invalid = structuredClone(valid);
    invalid.items[117].amount = "1.234";

    const effective = forms.effective("fixture.plan", TENANT);
    const ajv = addFormVocabulary(new Ajv({ ...FORM_AJV_OPTIONS, strict: true }));
    const bare: ValidateFunction = ajv.compile(structuredClone(effective.schema));
    const sizeKiB = Buffer.byteLength(JSON.stringify(valid)) / 1024;

    // Both agree before anything is measured.
    if (!bare(valid) || bare(invalid)) throw new Error("bare ajv does not judge the payloads as expected");
    const ref = forms.validateSubmission("fixture.plan", TENANT, valid).formRef;
    if (ref.overlays.length !== 2) throw new Error(`expected two overlays in the chain, got ${JSON.stringify(ref)}`);

    const accepted = rounds({
      engine: () => void forms.validateSubmission("fixture.plan", TENANT, valid),
      bare: () => {
        if (!bare(valid)) throw new Error("bare refused a valid plan");
      },
    });
    const refused = rounds({
      engine: () => {
        try {
          forms.validateSubmission("fixture.plan", TENANT, invalid);
        } catch {
          return;
        }
        throw new Error("the engine accepted an invalid plan");
      },
      bare: () => {
        if (bare(invalid)) throw new Error("bare accepted an invalid plan");
      },
    });

    const e = median(accepted.engine);
    const b = median(accepted.bare);
    const ratio = e / b;
    const re = median(refused.engine);
    const rb = median(refused.bare);
    console.log(`machine: ${machine()}; load ${load()}`);
    console.log(`plan filing of ${LINES} lines (${fmt(sizeKiB, 1)} KiB of JSON), tenant ${TENANT} (overlays: ${ref.overlays.map((o) => `${o.tenant}@${o.version}`).join(", ")})`);
    console.log(`${ROUNDS} rounds of ${MEASURE_MS / 1000} s per variant, median reported\n`);
    const row = (name: string, xs: number[]) => [name, fmt(median(xs)), fmt(1e6 / median(xs), 1), `${fmt(spread(xs) * 100)}%`, xs.map((x) => fmt(x)).join(", ")];
    console.log(
      table(
        ["variant", "per second", "µs each", "spread", "rounds"],
        [
          row("valid: engine (validateSubmission)", accepted.engine),
          row("valid: bare compiled ajv", accepted.bare),
          row("one bad line: engine (with details)", refused.engine),
          row("one bad line: bare ajv (no details)", refused.bare),
        ],
      ),
    );
    console.log(`\nratio engine / bare on valid plans: ${fmt(ratio, 2)}× (target ≥ ${TARGET}×: ${ratio >= TARGET ? "met" : "NOT met"})`);
    console.log(`ratio on refusals (not in the target): ${fmt(re / rb, 2)}×\n${NOISE_NOTE}`);
    writeSummary({ lines: LINES, engine: e, bare: b, ratio, target: TARGET, met: ratio >= TARGET, refusedEngine: re, refusedBare: rb });
  } finally {
    await knex.destroy();
    await db.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
