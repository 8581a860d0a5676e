import fs from "node:fs";
import path from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { validationFailed, type ErrorDetail } from "../errors";
import { ANNOTATION_KEYWORDS, domainFormats } from "./formats";
import { createFormAjv, detailsOf, errorsOf, lintSchema, lintUi, type JsonObject } from "./compile";
import { isScheduleTime } from "../tenancy/time";

/**
 * Two kinds of schema are compiled here, each once:
 *  - core's own documents (tenants/*.json, request bodies of core actions): `compileSchema`, with
 *    ajv-formats, the domain formats and schedule-time;
 *  - forms, read from forms/<plugin>/<id>.schema.json: `validateForm` / `checkForm`, with the
 *    vocabulary the browser shares (./formats.ts). These judge data by the form as it is in the
 *    files; what a tenant has overlaid, and which version a submission was made under, is
 *    FormRegistry's (./registry.ts).
 * A failed check is VALIDATION_FAILED with one detail per field: a JSON pointer, the rule, and
 * the message in zh-CN and en, which is what a form renderer shows by the field.
 */
const ajv = new Ajv({ allErrors: true, strict: true, useDefaults: true, coerceTypes: false, messages: true });
addFormats(ajv);
for (const [name, check] of Object.entries(domainFormats)) ajv.addFormat(name, { type: "string", validate: check });
// Titles and descriptions in two languages are annotations, not rules.
ajv.addVocabulary([...ANNOTATION_KEYWORDS]);
ajv.addFormat("schedule-time", { type: "string", validate: isScheduleTime });

/** Compiles a schema that is not a form (core's own documents); call once, at load. */
export function compileSchema(schema: { $id?: string; [keyword: string]: unknown }): ValidateFunction {
  // A schema with an $id is compiled once per process, however many kernels start in it.
  return (schema.$id && ajv.getSchema(schema.$id)) || ajv.compile(schema);
}

/** Checks `data` with a compiled schema: the error details of a form, or none. */
export function schemaErrors(fn: ValidateFunction, data: unknown): ErrorDetail[] {
  return errorsOf(fn, data);
}

export const FORMS_DIR = path.resolve(__dirname, "../../forms");

export function formSchemaPath(formId: string, formsDir = FORMS_DIR): string {
  const [plugin] = formId.split(".");
  return path.join(formsDir, plugin, `${formId}.schema.json`);
}

export function formUiPath(formId: string, formsDir = FORMS_DIR): string {
  const [plugin] = formId.split(".");
  return path.join(formsDir, plugin, `${formId}.ui.json`);
}

/** A form that is not what a form must be: start-up stops with this, naming the file and the field. */
export class FormError extends Error {
  override name = "FormError";
}

export interface FormFiles {
  /** the schema as written, $id included */
  schema: JsonObject;
  /** the uiSchema ({} when the form has no .ui.json) */
  ui: JsonObject;
  file: string;
}

/** Reads and checks a form's files; throws FormError naming the file and the pointer. */
export function readFormFiles(formId: string, formsDir = FORMS_DIR): FormFiles {
  const file = formSchemaPath(formId, formsDir);
  const shown = path.relative(process.cwd(), file) || file;
  const read = (f: string): JsonObject => {
    let doc: unknown;
    try {
      doc = JSON.parse(fs.readFileSync(f, "utf8"));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new FormError(`form "${formId}": ${path.relative(process.cwd(), f) || f}: ${e.code === "ENOENT" ? "no such file" : e.message}`);
    }
    if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw new FormError(`form "${formId}": ${f}: must be a JSON object`);
    return doc as JsonObject;
  };
  const schema = read(file);
  const uiFile = formUiPath(formId, formsDir);
  const ui = fs.existsSync(uiFile) ? read(uiFile) : {};
  const problems = [...lintSchema(schema, { root: true }), ...lintUi(ui)];
  if (schema.$id !== formId) problems.unshift({ path: "/$id", rule: "id", message: { "zh-CN": `应为表单编号「${formId}」`, en: `must be "${formId}", the form's id` } });
  if (problems.length) throw new FormError(`form "${formId}": ${shown}: ${problems.map((p) => `${p.path || "/"}: ${p.message?.en ?? p.rule}`).join("; ")}`);
  return { schema, ui, file };
}

/** The form's schema as it is compiled and served: no $id (every version shares it). */
export function servedSchema(schema: JsonObject): JsonObject {
  const { $id: _id, ...rest } = schema;
  void _id;
  return rest;
}

// One ajv for all forms of the process: schemas are compiled without $id, so versions and
// overlays of the same form never collide, and each is compiled once by whoever keeps it.
export const formAjv = createFormAjv();

/** Compiles a form schema with the form vocabulary; a schema ajv refuses is a FormError. */
export function compileFormSchema(schema: JsonObject, what: string): ValidateFunction {
  try {
    return formAjv.compile(servedSchema(schema));
  } catch (err) {
    throw new FormError(`${what}: ${(err as Error).message}`);
  }
}

const compiled = new Map<string, ValidateFunction>();

/** The form in the files, compiled once per process (FormRegistry compiles every form at start-up). */
export function compileForm(formId: string, formsDir = FORMS_DIR): ValidateFunction {
  const key = `${formsDir}\0${formId}`;
  let fn = compiled.get(key);
  if (!fn) {
    const { schema, file } = readFormFiles(formId, formsDir);
    fn = compileFormSchema(schema, `form "${formId}": ${file}`);
    compiled.set(key, fn);
  }
  return fn;
}

/** Validates `data` by the form in the files, or throws VALIDATION_FAILED. */
export function validateForm<T>(formId: string, data: unknown): T {
  const fn = compileForm(formId);
  if (!fn(data)) throw validationFailed(detailsOf(fn.errors ?? [], { form: true }));
  return data as T;
}

/** Like validateForm, but returns the details instead of throwing (for row-by-row imports). */
export function checkForm(formId: string, data: unknown): ErrorDetail[] {
  return errorsOf(compileForm(formId), data, { form: true });
}
