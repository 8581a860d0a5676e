import fs from "node:fs";
import path from "node:path";
import Ajv, { type ErrorObject } from "ajv-draft-04";
import addFormats from "ajv-formats";

/** The official OCDS 1.1.5 schemas, verbatim (../shared/reference/ocds/README.md). */
export const OCDS_DIR = process.env.OCDS_SCHEMA_DIR ?? "/work/shared/reference/ocds";
const RELEASE_SCHEMA_ID = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json";
const EXTENDED_ID = "urn:gd-procurement:release-schema-with-extension";

const read = (file: string) => JSON.parse(fs.readFileSync(path.join(OCDS_DIR, file), "utf8"));

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
/** RFC 7396 merge patch: how OCDS applies an extension's release-schema.json to the core schema. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Ajv's validate function, without its type guard (a failed check would narrow the data to never). */
export interface Validator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

export interface OcdsValidators {
  release: Validator;
  /** the release schema with the plugin's extension applied */
  extendedRelease: Validator;
  releasePackage: Validator;
  recordPackage: Validator;
}

/**
 * Compiled once per test file. Offline: the release and versioned-release schemas are added under their own ids,
 * which the package schemas name by absolute URL. OCDS's own keywords (codelist, openCodelist, ...) are known
 * to Ajv as annotations; formats (date-time, uri) are checked.
 */
export function ocdsValidators(): OcdsValidators {
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
  addFormats(ajv);
  for (const keyword of ["codelist", "openCodelist", "omitWhenMerged", "wholeListMerge", "versionId"]) ajv.addKeyword({ keyword });
  const release = read("release-schema.json");
  ajv.addSchema(release, RELEASE_SCHEMA_ID);
  // a record's optional versionedRelease refers to it by its absolute id
  ajv.addSchema(read("versioned-release-validation-schema.json"));
  const extension = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../../plugins/analytics/ocds-extension/release-schema.json"), "utf8"));
  const extended = mergePatch(release, extension) as Record<string, unknown>;
  extended.id = EXTENDED_ID;
  return {
    release: ajv.getSchema(RELEASE_SCHEMA_ID)!,
    extendedRelease: ajv.compile(extended),
    releasePackage: ajv.compile(read("release-package-schema.json")),
    recordPackage: ajv.compile(read("record-package-schema.json")),
  };
}

/** Errors as short lines, for a failure message that says where. */
export const explain = (errors: ErrorObject[] | null | undefined) => (errors ?? []).slice(0, 5).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
