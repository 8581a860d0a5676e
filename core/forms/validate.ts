import fs from "node:fs";
import path from "node:path";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import localizeZh from "ajv-i18n/localize/zh";
import { validationFailed, type ErrorDetail } from "../errors";
import { domainFormats, formatMessages } from "./formats";
import { isScheduleTime } from "../tenancy/time";

/**
 * Form schemas live in forms/<plugin>/<id>.schema.json. They are compiled once, when first asked
 * for, and a failed check becomes VALIDATION_FAILED with one detail per field: a JSON pointer,
 * the rule, and the message in zh-CN and en, which is what a form renderer shows by the field.
 */
const ajv = new Ajv({ allErrors: true, strict: true, useDefaults: true, coerceTypes: false, messages: true });
addFormats(ajv);
for (const [name, check] of Object.entries(domainFormats)) ajv.addFormat(name, { type: "string", validate: check });
// Titles and descriptions in two languages, and uiSchema hints, are annotations, not rules.
ajv.addVocabulary(["titleEn", "descriptionEn"]);

ajv.addFormat("schedule-time", { type: "string", validate: isScheduleTime });

const compiled = new Map<string, ValidateFunction>();

/** Compiles a schema that is not a form (core's own documents); call once, at load. */
export function compileSchema(schema: { $id?: string; [keyword: string]: unknown }): ValidateFunction {
  // A schema with an $id is compiled once per process, however many kernels start in it.
  return (schema.$id && ajv.getSchema(schema.$id)) || ajv.compile(schema);
}

/** Checks `data` with a compiled schema: the error details of a form, or none. */
export function schemaErrors(fn: ValidateFunction, data: unknown): ErrorDetail[] {
  return fn(data) ? [] : detailsOf(fn.errors ?? []);
}

export function formSchemaPath(formId: string, formsDir = path.resolve(__dirname, "../../forms")): string {
  const [plugin] = formId.split(".");
  return path.join(formsDir, plugin, `${formId}.schema.json`);
}

export function compileForm(formId: string, formsDir?: string): ValidateFunction {
  const cached = compiled.get(formId);
  if (cached) return cached;
  const file = formSchemaPath(formId, formsDir);
  const schema = JSON.parse(fs.readFileSync(file, "utf8"));
  const fn = ajv.compile(schema);
  compiled.set(formId, fn);
  return fn;
}

function detailsOf(errors: ErrorObject[]): ErrorDetail[] {
  const en = errors.map((e) => ({ ...e }));
  const zh = errors.map((e) => ({ ...e }));
  localizeZh(zh);
  return errors.map((e, i) => {
    let pointer = e.instancePath;
    if (e.keyword === "required") pointer += "/" + (e.params as { missingProperty: string }).missingProperty;
    if (e.keyword === "additionalProperties") pointer += "/" + (e.params as { additionalProperty: string }).additionalProperty;
    if (e.keyword === "format") {
      const format = (e.params as { format: string }).format;
      const message = formatMessages[format] ?? { "zh-CN": zh[i].message ?? "", en: en[i].message ?? "" };
      return { path: pointer, rule: `format:${format}`, message };
    }
    return { path: pointer, rule: e.keyword, message: { "zh-CN": zh[i].message ?? "", en: en[i].message ?? "" } };
  });
}

/** Validates (and fills defaults into) `data`, or throws VALIDATION_FAILED. */
export function validateForm<T>(formId: string, data: unknown): T {
  const fn = compileForm(formId);
  if (!fn(data)) throw validationFailed(detailsOf(fn.errors ?? []));
  return data as T;
}

/** Like validateForm, but returns the details instead of throwing (for row-by-row imports). */
export function checkForm(formId: string, data: unknown): ErrorDetail[] {
  return schemaErrors(compileForm(formId), data);
}
