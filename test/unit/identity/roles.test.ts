import { RoleBook } from "../../../core/identity/roles";
import { checkManifest } from "../../../core/plugins/loader";
import type { PluginManifest } from "../../../core/plugins/types";
import registries from "../../../plugins/registries/plugin";
import supervision from "../../../plugins/supervision/plugin";

const plugin = (name: string, roles: PluginManifest["roles"]) => ({ name, title: { "zh-CN": name, en: name }, version: "1.0.0", services: [], roles }) as PluginManifest;

test("core knows only the platform's roles; the business roles, their labels and oversight are the plugins'", () => {
  expect(new RoleBook([]).names()).toEqual(["platform-admin", "tenant-admin"]);
  const book = new RoleBook([registries, supervision]);
  expect(book.list().map((r) => [r.name, r.plugin])).toEqual([
    ["platform-admin", null],
    ["tenant-admin", null],
    ["purchaser", "registries"],
    ["agency", "registries"],
    ["supplier", "registries"],
    ["expert", "registries"],
    ["regulator", "supervision"],
  ]);
  expect(book.list().find((r) => r.name === "regulator")!.title).toEqual({ "zh-CN": "监管部门", en: "regulator" });
  expect(book.oversees(["purchaser", "regulator"])).toBe(true);
  expect(book.oversees(["purchaser"])).toBe(false);
  // a tenant admin's regional reach is core's own rule, not a role flag
  expect(book.oversees(["tenant-admin"])).toBe(false);
  expect(book.importable()).not.toContain("platform-admin");
});

test("a role is declared once: a second plugin or a core role's name stops start-up, naming the plugin", () => {
  expect(() => new RoleBook([registries, plugin("emall", { supplier: { title: { "zh-CN": "供应商", en: "supplier" } } })])).toThrow(
    'plugin "emall": roles.supplier: already declared by plugin "registries"',
  );
  expect(() => new RoleBook([plugin("rogue", { "platform-admin": { title: { "zh-CN": "管理员", en: "admin" } } })])).toThrow('plugin "rogue": roles.platform-admin: is one of core\'s roles');
});

test("a bad role declaration is refused with the plugin and the field", () => {
  expect(() => checkManifest(plugin("credit", { Rater: { title: { "zh-CN": "评级", en: "rater" } } }), "credit")).toThrow('plugin "credit": roles.Rater: role names are kebab-case');
  expect(() => checkManifest(plugin("credit", { rater: { title: { en: "rater" } } as never }), "credit")).toThrow('plugin "credit": roles.rater.title:');
  expect(() => checkManifest(plugin("credit", { rater: { title: { "zh-CN": "评级", en: "rater" }, oversees: "yes" as never } }), "credit")).toThrow('plugin "credit": roles.rater.oversees: must be true or false');
});
