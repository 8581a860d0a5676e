/** One rjsf validator for the app: built like the server's (core/forms/rjsf.ts), compiled schemas kept. */
import { formValidator } from "../../../core/forms/rjsf";

export const validator = formValidator();
