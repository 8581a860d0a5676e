/**
 * The browser's validator for forms, for the web app's rjsf <Form validator={...}>: rjsf's ajv 8
 * validator built from the same definitions as the server's (./formats.ts). ajv-formats is off:
 * rjsf bundles ajv-formats 2, which disagrees with the server's on date-time; every format a form
 * may name comes from ./formats.ts instead.
 *
 * Imports @rjsf/validator-ajv8 (a dev dependency for the server): only the web app and the tests
 * load this file.
 */
import { customizeValidator } from "@rjsf/validator-ajv8";
import { addFormVocabulary, FORM_AJV_OPTIONS, formFormats } from "./formats";

export { errorSchemaOf, localizeForm } from "./display";

export function formValidator() {
  return customizeValidator({
    customFormats: formFormats,
    ajvOptionsOverrides: { ...FORM_AJV_OPTIONS },
    ajvFormatOptions: false,
    extenderFn: (ajv) => addFormVocabulary(ajv),
  });
}
