import fs from "node:fs";
import path from "node:path";
import type { LoadedPlugin, PluginManifest, PlatformActionSchema } from "./types";
import { UNITS_POINT } from "../access/units";
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
  if (p.demo !== undefined && typeof p.demo !== "function") fail("demo", "must be an async function (tools) => void");
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
  }
  for (const [pointId, c] of Object.entries(p.extends ?? {})) {
    const at = `extends["${pointId}"]`;
    if (!/^[a-z0-9-]+\.[a-z0-9-]+$/.test(pointId)) fail(at, 'keys are extension point ids "<plugin>.<point>"');
    const ok = c && typeof c === "object" && (("action" in c && typeof c.action === "string") || "data" in c);
    if (!ok) fail(at, "a contribution is { action: '<one of this plugin's actions>' } or { data: ... }");
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

/** Cross-plugin checks and dependency order: dependencies first, otherwise by name, so starts are repeatable. */
export function orderPlugins(plugins: LoadedPlugin[]): LoadedPlugin[] {
  const byName = new Map(plugins.map((p) => [p.manifest.name, p]));
  for (const { manifest: m } of plugins) {
    (m.dependsOn ?? []).forEach((dep, i) => {
      if (!byName.has(dep)) throw new PluginError(m.name, `dependsOn[${i}]`, `depends on "${dep}", which is not installed (no plugins/${dep}/plugin.ts)`);
    });
  }
  const ordered: LoadedPlugin[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") {
      const cycle = [...trail.slice(trail.indexOf(name)), name];
      throw new PluginError(name, "dependsOn", `dependency cycle: ${cycle.join(" → ")}`);
    }
    state.set(name, "visiting");
    const p = byName.get(name)!;
    for (const dep of [...(p.manifest.dependsOn ?? [])].sort()) visit(dep, [...trail, name]);
    state.set(name, "done");
    ordered.push(p);
  };
  for (const name of [...byName.keys()].sort()) visit(name, []);
  checkExtensions(ordered);
  return ordered;
}

function checkExtensions(plugins: LoadedPlugin[]): void {
  // The kernel's own points (core/access/units.ts): every plugin may contribute, core being always there.
  const points = new Map<string, { owner: string; kind: "action" | "data" }>([[UNITS_POINT, { owner: "core", kind: "action" }]]);
  for (const { manifest: m } of plugins) {
    for (const [key, decl] of Object.entries(m.extensionPoints ?? {})) points.set(`${m.name}.${key}`, { owner: m.name, kind: decl.kind });
  }
  for (const { manifest: m } of plugins) {
    for (const [pointId, c] of Object.entries(m.extends ?? {})) {
      const at = `extends["${pointId}"]`;
      const point = points.get(pointId);
      if (!point) throw new PluginError(m.name, at, `no plugin declares the extension point "${pointId}"`);
      if (point.owner !== "core" && !(m.dependsOn ?? []).includes(point.owner)) {
        throw new PluginError(m.name, at, `contributing to "${pointId}" needs "${point.owner}" in dependsOn`);
      }
      if (point.kind === "action") {
        if (!("action" in c)) throw new PluginError(m.name, at, `"${pointId}" takes { action }`);
        const own = m.services.some((s) => c.action.startsWith(s.name + ".") && Object.keys(s.actions ?? {}).includes(c.action.slice(s.name.length + 1)));
        if (!own) throw new PluginError(m.name, `${at}.action`, `"${c.action}" is not an action of this plugin`);
      } else if (!("data" in c)) {
        throw new PluginError(m.name, at, `"${pointId}" takes { data }`);
      }
    }
  }
}

/**
 * Finds plugins/<name>/plugin.ts (or .js), loads and checks each manifest, and returns them in
 * dependency order. Adding a plugin is adding a folder: nothing in core lists them.
 */
export function discoverPlugins(pluginsDir: string): LoadedPlugin[] {
  if (!fs.existsSync(pluginsDir)) return [];
  const found: LoadedPlugin[] = [];
  for (const entry of fs.readdirSync(pluginsDir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || entry.name.startsWith("_")) continue;
    const dir = path.join(pluginsDir, entry.name);
    // A symlinked plugin folder counts too (operators link plugins kept elsewhere).
    if (!fs.statSync(dir).isDirectory()) continue;
    const file = ["plugin.ts", "plugin.js"].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
    if (!file) throw new PluginError(entry.name, "plugin.ts", `plugins/${entry.name}/ has no plugin.ts`);
    let mod: { default?: unknown };
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mod = require(file);
    } catch (err) {
      throw new PluginError(entry.name, "plugin.ts", `failed to load: ${(err as Error).message}`);
    }
    const manifest = checkManifest(mod.default, entry.name);
    if (manifest.migrations !== undefined && !fs.existsSync(path.join(dir, manifest.migrations))) {
      throw new PluginError(manifest.name, "migrations", `folder plugins/${entry.name}/${manifest.migrations} does not exist`);
    }
    found.push({ manifest, dir });
  }
  return orderPlugins(found);
}
