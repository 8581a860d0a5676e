import path from "node:path";
import type { FormRegistry } from "../../../core/forms/registry";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";
import type { Call, Reply } from "../../support/http";

export const FORM_FIXTURES = path.resolve(__dirname, "../../fixtures/forms");
const FORM_PLUGINS = path.resolve(__dirname, "../../fixtures/form-plugins");

export interface FormsPlatform {
  platform: TestPlatform;
  forms: FormRegistry;
  api(path: string, init?: Call): Promise<Reply>;
  stop(): Promise<void>;
}

/**
 * A platform node, as `npm start` runs one, whose plugins are the fixture plugin of the fixture
 * forms (test/fixtures/form-plugins/fixture, forms in test/fixtures/forms/).
 */
export async function startFormsPlatform(): Promise<FormsPlatform> {
  const platform = await startTestPlatform({ pluginsDir: FORM_PLUGINS, formsDir: FORM_FIXTURES });
  return { platform, forms: platform.kernel.forms, api: platform.api, stop: () => platform.stop() };
}

/** The fixture plugin's manifest, for tests that open a FormRegistry of their own. */
export { default as fixturePlugin } from "../../fixtures/form-plugins/fixture/plugin";
