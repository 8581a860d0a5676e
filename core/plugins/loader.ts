import fs from "node:fs";
import path from "node:path";
import type { LoadedPlugin, PluginManifest, PlatformActionSchema } from "./types";
import { unitsPoint } from "../access/units";
import { initialCredentialPoint } from "../identity/credential";
import { isStepHook } from "../workflow/hooks";

/** A start-up error about one plugin; the message names the plugin and the field. */
export class PluginError extends Error {
  constructor(
    readonly plugin: string,
    readonly field: string,
    reason: string,
  ) {
    super(`plugin "${plugin}": ${field}: ${reason}`);
    this.name = "PluginError";
  }
}

const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
const KINDS = new Set(["create", "continue", "read"]);
const POINT_ID = /^[a-z0-9-]+\.[a-z0-9-]+$/;
const REST = /^(GET|POST|PUT|PATCH|DELETE) \/[A-Za-z0-9/:._-]*$/;
const RESERVED = new Set(["api", "gateway", "core", "health", "plugins", "tenants", "forms", "workflows", "instances", "accounts", "auth", "me", "notifications", "audit"]);

const isLocalized = (v: unknown): boolean =>
  !!v && typeof v === "object" && typeof (v as Record<string, unknown>)["zh-CN"] === "string" &&
  typeof (v as Record<string, unknown>).en === "string" &&
  ((v as Record<string, string>)["zh-CN"].length > 0);

/** Checks one manifest's shape. `folder` is the plugin's folder name, which must equal its name. */
export function checkManifest(m: unknown, folder: string): PluginManifest {
  const fail = (field: string, reason: string): never => {
    throw new PluginError(folder, field, reason);
  };
  if (!m || typeof m !== "object") fail("default export", "plugin.ts must `export default definePlugin({...})`");
  const p = m as PluginManifest;
  if (typeof p.name !== "string" || !KEBAB.test(p.name)) fail("name", `must be kebab-case, got ${JSON.stringify(p.name)}`);
  if (p.name !== folder) fail("name", `"${p.name}" must equal its folder name "${folder}"`);
  if (RESERVED.has(p.name)) fail("name", `"${p.name}" is reserved for the kernel`);
  if (!isLocalized(p.title)) fail("title", 'needs { "zh-CN": "...", en: "..." }');
  if (typeof p.version !== "string" || !SEMVER.test(p.version)) fail("version", `must be semver (1.2.3), got ${JSON.stringify(p.version)}`);
  if (p.dependsOn !== undefined) {
    if (!Array.isArray(p.dependsOn) || p.dependsOn.some((d) => typeof d !== "string")) fail("dependsOn", "must be a list of plugin names");
    if (p.dependsOn.includes(p.name)) fail("dependsOn", "a plugin cannot depend on itself");
  }
  if (p.gated !== undefined && typeof p.gated !== "boolean") fail("gated", "must be true or false");
  if (!Array.isArray(p.services)) fail("services", "must be a list of service schemas");
  const serviceNames = new Set<string>();
  p.services.forEach((svc, i) => {
    const at = `services[${i}]`;
    if (!svc || typeof svc !== "object") fail(at, "must be a service schema");
    if (typeof svc.name !== "string" || !(svc.name === p.name || svc.name.startsWith(p.name + "."))) {
      fail(`${at}.name`, `must be "${p.name}" or start with "${p.name}.", got ${JSON.stringify(svc.name)}`);
    }
    if (serviceNames.has(svc.name)) fail(`${at}.name`, `"${svc.name}" is declared twice`);
    serviceNames.add(svc.name);
    for (const [actionName, action] of Object.entries(svc.actions ?? {})) {
      checkAction(action, `${at}.actions.${actionName}`, fail);
    }
  });
  if (p.migrations !== undefined && typeof p.migrations !== "string") fail("migrations", "must be a folder name");
  if (p.permissions !== undefined && typeof p.permissions !== "function") fail("permissions", "must be a function (user, { can, cannot }) => void");
  if (p.roles !== undefined && (!p.roles || typeof p.roles !== "object" || Array.isArray(p.roles))) fail("roles", "must be { <role>: { title, oversees? } }");
  for (const [name, role] of Object.entries(p.roles ?? {})) {
    if (!KEBAB.test(name)) fail(`roles.${name}`, "role names are kebab-case");
    if (!role || !isLocalized(role.title)) fail(`roles.${name}.title`, 'needs { "zh-CN": "...", en: "..." }');
    if (role.oversees !== undefined && typeof role.oversees !== "boolean") fail(`roles.${name}.oversees`, "must be true or false");
  }
  if (p.demo !== undefined && typeof p.demo !== "function") fail("demo", "must be an async function (tools) => void");
  if (p.secretFields !== undefined && (!Array.isArray(p.secretFields) || !p.secretFields.every((f) => typeof f === "string" && /^[\w$-]+$/.test(f)))) {
    fail("secretFields", "must be a list of field names");
  }
  for (const key of ["forms", "workflows"] as const) {
    const ids = p[key];
    if (ids === undefined) continue;
    if (!Array.isArray(ids)) fail(key, "must be a list of ids");
    ids.forEach((id, i) => {
      if (typeof id !== "string" || !id.startsWith(p.name + ".")) fail(`${key}[${i}]`, `ids look like "${p.name}.<name>", got ${JSON.stringify(id)}`);
    });
  }
  for (const [id, hooks] of Object.entries(p.workflowHooks ?? {})) {
    const at = `workflowHooks["${id}"]`;
    if (!(p.workflows ?? []).includes(id)) fail(at, "a plugin hooks only workflows it lists in `workflows`");
    if (!hooks || typeof hooks !== "object") fail(at, "must be { start?, transitions? }");
    const HOOK = "must be a function, or { prepare, apply } (core/workflow/hooks.ts)";
    if (hooks.start !== undefined && !isStepHook(hooks.start)) fail(`${at}.start`, HOOK);
    for (const [name, fn] of Object.entries(hooks.transitions ?? {})) {
      if (!isStepHook(fn)) fail(`${at}.transitions.${name}`, HOOK);
    }
  }
  for (const [key, point] of Object.entries(p.extensionPoints ?? {})) {
    const at = `extensionPoints.${key}`;
    if (!KEBAB.test(key)) fail(at, "point names are kebab-case");
    if (!point || !isLocalized(point.title)) fail(`${at}.title`, 'needs { "zh-CN": "...", en: "..." }');
    if (point.kind !== "action" && point.kind !== "data") fail(`${at}.kind`, 'must be "action" or "data"');
    // a typed point (from the plugin's api.ts) is declared under its own key: its id is its address
    if (point.id !== undefined && point.id !== `${p.name}.${key}`) fail(`${at}.id`, `the point "${point.id}" must be declared by its plugin under its own key ("${p.name}.${key}" here)`);
    if (point.methods !== undefined && (point.kind !== "action" || !Array.isArray(point.methods) || !point.methods.length)) fail(`${at}.methods`, "an action point's interface needs at least one method");
  }
  for (const [pointId, c] of Object.entries(p.extends ?? {})) {
    const at = `extends["${pointId}"]`;
    if (!POINT_ID.test(pointId)) fail(at, 'keys are extension point ids "<plugin>.<point>"');
    const ok = c && typeof c === "object" && (("action" in c && typeof c.action === "string") || ("actions" in c && !!c.actions && typeof c.actions === "object") || "data" in c);
    if (!ok) fail(at, "a contribution is provide(point, { method: '<one of this plugin's actions>' }), { action: ... } or { data: ... }");
  }
  for (const [pointId, need] of Object.entries(p.consumes ?? {})) {
    const at = `consumes["${pointId}"]`;
    if (!POINT_ID.test(pointId)) fail(at, 'keys are extension point ids "<plugin>.<point>"');
    if (need !== "required" && need !== "optional") fail(at, 'must be "required" or "optional"');
    if (pointId.startsWith(`${p.name}.`)) fail(at, "a plugin calls its own points without listing them");
  }
  return p;
}

function checkAction(a: PlatformActionSchema, at: string, fail: (field: string, reason: string) => never): void {
  if (!a || typeof a !== "object" || typeof a.handler !== "function") fail(at, "must be an action schema with a handler");
  if (!KINDS.has(a.kind)) fail(`${at}.kind`, 'must be "create", "continue" or "read" (what the action does to business, for the module gate)');
  const perm = a.permission as unknown;
  const permOk =
    perm === "public" || perm === "authenticated" ||
    (Array.isArray(perm) && perm.length === 2 && perm.every((x) => typeof x === "string" && x.length > 0));
  if (!permOk) fail(`${at}.permission`, 'must be "public", "authenticated" or [action, subject]');
  if (a.rest !== undefined && (typeof a.rest !== "string" || !REST.test(a.rest))) fail(`${at}.rest`, `must look like "GET /things/:id", got ${JSON.stringify(a.rest)}`);
}

/** Why one plugin starts after another: the field that says so, and the words for a cycle's message. */
interface After {
  on: string;
  field: string;
  why: string;
}

interface PointInfo {
  owner: string;
  /** where the owner declares it, for messages */
  at: string;
  kind: "action" | "data";
  methods?: string[];
  required?: boolean;
}

/**
 * Cross-plugin checks and start order: dependencies first, otherwise by name, so starts are
 * repeatable. Besides `dependsOn`, extension points order plugins: a provider starts after the
 * point's owner (it builds on the owner's contract, and often calls its actions), and a plugin that
 * consumes another's point after that point's providers. A cycle through any of these is refused
 * with its path and the reason for each step.
 */
export function orderPlugins(plugins: LoadedPlugin[]): LoadedPlugin[] {
  const byName = new Map(plugins.map((p) => [p.manifest.name, p]));
  for (const { manifest: m } of plugins) {
    (m.dependsOn ?? []).forEach((dep, i) => {
      if (!byName.has(dep)) throw new PluginError(m.name, `dependsOn[${i}]`, `depends on "${dep}", which is not installed (no plugins/${dep}/plugin.ts)`);
    });
  }
  const points = checkExtensions(plugins);
  const providersOf = (pointId: string) => plugins.filter((p) => p.manifest.extends?.[pointId]).map((p) => p.manifest.name);
  const after = new Map<string, After[]>();
  for (const { manifest: m } of plugins) {
    const edges: After[] = (m.dependsOn ?? []).map((dep) => ({ on: dep, field: "dependsOn", why: `${m.name} depends on ${dep}` }));
    for (const pointId of Object.keys(m.extends ?? {})) {
      const owner = points.get(pointId)!.owner;
      if (owner !== "core" && owner !== m.name) edges.push({ on: owner, field: `extends["${pointId}"]`, why: `${m.name} provides "${pointId}", which ${owner} declares` });
    }
    for (const pointId of Object.keys(m.consumes ?? {})) {
      for (const provider of providersOf(pointId)) {
        if (provider !== m.name) edges.push({ on: provider, field: `consumes["${pointId}"]`, why: `${m.name} consumes "${pointId}", which ${provider} provides` });
      }
    }
    after.set(m.name, edges.sort((a, b) => a.on.localeCompare(b.on)));
  }
  const ordered: LoadedPlugin[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, trail: After[], path: string[]): void => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") {
      const from = path.indexOf(name);
      const steps = trail.slice(from);
      const cycle = [...path.slice(from), name];
      throw new PluginError(name, steps[0].field, `dependency cycle: ${cycle.join(" → ")} (${steps.map((s) => s.why).join("; ")})`);
    }
    state.set(name, "visiting");
    for (const edge of after.get(name)!) visit(edge.on, [...trail, edge], [...path, name]);
    state.set(name, "done");
    ordered.push(byName.get(name)!);
  };
  for (const name of [...byName.keys()].sort()) visit(name, [], []);
  return ordered;
}

/**
 * Every point, its contributions (the owner installed, the shape its kind takes, the provider's own
 * actions, a typed point's every method), what plugins consume, and that a required point has a
 * provider. Answers the points by id.
 */
function checkExtensions(plugins: LoadedPlugin[]): Map<string, PointInfo> {
  // The kernel's own points (core/access/units.ts): every plugin may provide them, core being always there.
  const points = new Map<string, PointInfo>([
    [unitsPoint.id, { owner: "core", at: "core/access/units.ts", kind: "action", methods: unitsPoint.methods }],
    [initialCredentialPoint.id, { owner: "core", at: "core/identity/credential.ts", kind: "data" }],
  ]);
  for (const { manifest: m } of plugins) {
    for (const [key, decl] of Object.entries(m.extensionPoints ?? {})) {
      points.set(`${m.name}.${key}`, { owner: m.name, at: `extensionPoints.${key}`, kind: decl.kind, methods: decl.methods, required: decl.required });
    }
  }
  for (const { manifest: m } of plugins) {
    for (const [pointId, c] of Object.entries(m.extends ?? {})) {
      const at = `extends["${pointId}"]`;
      const point = points.get(pointId);
      if (!point) throw new PluginError(m.name, at, `no plugin declares the extension point "${pointId}" (is "${pointId.split(".")[0]}" installed?)`);
      const own = (action: string) => m.services.some((s) => action.startsWith(s.name + ".") && Object.keys(s.actions ?? {}).includes(action.slice(s.name.length + 1)));
      if (point.kind === "data") {
        if (!("data" in c)) throw new PluginError(m.name, at, `"${pointId}" takes { data }`);
      } else if (point.methods) {
        if (!("actions" in c)) throw new PluginError(m.name, at, `"${pointId}" is typed: provide(point, { ${point.methods.map((x) => `${x}: "<action>"`).join(", ")} })`);
        for (const method of point.methods) {
          if (typeof c.actions[method] !== "string") throw new PluginError(m.name, `${at}.actions.${method}`, `"${pointId}" needs an action for its method "${method}"`);
          if (!own(c.actions[method])) throw new PluginError(m.name, `${at}.actions.${method}`, `"${c.actions[method]}" is not an action of this plugin`);
        }
        const extra = Object.keys(c.actions).find((k) => !point.methods!.includes(k));
        if (extra) throw new PluginError(m.name, `${at}.actions.${extra}`, `"${pointId}" has no method "${extra}" (its methods: ${point.methods.join(", ")})`);
      } else {
        if (!("action" in c)) throw new PluginError(m.name, at, `"${pointId}" takes { action }`);
        if (!own(c.action)) throw new PluginError(m.name, `${at}.action`, `"${c.action}" is not an action of this plugin`);
      }
    }
  }
  const provided = (pointId: string) => plugins.some((p) => p.manifest.extends?.[pointId]);
  for (const { manifest: m } of plugins) {
    for (const [pointId, need] of Object.entries(m.consumes ?? {})) {
      const at = `consumes["${pointId}"]`;
      if (!points.has(pointId)) throw new PluginError(m.name, at, `no plugin declares the extension point "${pointId}" (is "${pointId.split(".")[0]}" installed?)`);
      if (need === "required" && !provided(pointId)) {
        throw new PluginError(m.name, at, `requires a provider of "${pointId}" (declared by ${points.get(pointId)!.owner}), and no installed plugin provides it`);
      }
    }
  }
  for (const [pointId, point] of points) {
    if (point.required && !provided(pointId)) {
      throw new PluginError(point.owner, point.at, `requires a provider of "${pointId}", and no installed plugin provides it`);
    }
  }
  return points;
}

const MANIFEST_FILES = ["plugin.ts", "plugin.js"];
const manifestFile = (dir: string) => MANIFEST_FILES.map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));

/** Loads and checks one plugin folder; `shown` is how messages name the folder. */
function loadPlugin(dir: string, shown: string): LoadedPlugin {
  const folder = path.basename(dir);
  const file = manifestFile(dir);
  if (!file) throw new PluginError(folder, "plugin.ts", `${shown}/ has no plugin.ts`);
  let mod: { default?: unknown };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(file);
  } catch (err) {
    throw new PluginError(folder, "plugin.ts", `failed to load: ${(err as Error).message}`);
  }
  const manifest = checkManifest(mod.default, folder);
  if (manifest.migrations !== undefined && !fs.existsSync(path.join(dir, manifest.migrations))) {
    throw new PluginError(manifest.name, "migrations", `folder ${shown}/${manifest.migrations} does not exist`);
  }
  return { manifest, dir };
}

/** The plugin folders in a folder of plugins (dot and underscore folders left out). */
function pluginFolders(parent: string): string[] {
  return fs
    .readdirSync(parent, { withFileTypes: true })
    .filter((e) => !e.name.startsWith(".") && !e.name.startsWith("_"))
    .map((e) => path.join(parent, e.name))
    // A symlinked plugin folder counts too (operators link plugins kept elsewhere).
    .filter((dir) => fs.statSync(dir).isDirectory());
}

/**
 * Finds plugins/<name>/plugin.ts (or .js), and the plugins of each configured plugin path
 * (PLUGIN_PATHS: a plugin's own folder, or a folder of plugin folders, kept outside this
 * repository), loads and checks each manifest, and returns them in start order. Adding a plugin is
 * adding a folder or a path: nothing in core lists them. One name installed twice is refused.
 */
export function discoverPlugins(pluginsDir: string, pluginPaths: string[] = []): LoadedPlugin[] {
  const found: LoadedPlugin[] = [];
  if (fs.existsSync(pluginsDir)) {
    for (const dir of pluginFolders(pluginsDir)) found.push(loadPlugin(dir, `plugins/${path.basename(dir)}`));
  }
  for (const configured of pluginPaths) {
    const where = path.resolve(configured);
    if (!fs.existsSync(where) || !fs.statSync(where).isDirectory()) {
      throw new PluginError(path.basename(where), "PLUGIN_PATHS", `${where} is not a folder (a plugin's folder, or a folder of plugin folders)`);
    }
    const dirs = manifestFile(where) ? [where] : pluginFolders(where);
    for (const dir of dirs) {
      const loaded = loadPlugin(dir, dir);
      const twin = found.find((p) => p.manifest.name === loaded.manifest.name);
      if (twin) throw new PluginError(loaded.manifest.name, "name", `installed twice: ${twin.dir} and ${dir}`);
      found.push(loaded);
    }
  }
  return orderPlugins(found);
}
