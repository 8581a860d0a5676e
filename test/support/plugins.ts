import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const PLUGINS = path.resolve(__dirname, "..", "..", "plugins");

/**
 * A fresh temporary plugins folder holding links to plugins/<name> for each of `plugins`, in that order:
 * a test (or bench) that passes it as `pluginsDir` loads just those, so other plugins' work in progress
 * cannot stop it. The folder is named `<prefix>-XXXXXX` under the OS temp folder; the caller removes it.
 */
export function linkPlugins(plugins: string[], prefix = "plugins"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  for (const p of plugins) fs.symlinkSync(path.join(PLUGINS, p), path.join(dir, p), "dir");
  return dir;
}
