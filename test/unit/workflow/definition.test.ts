import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadWorkflow, WorkflowLoadError } from "../../../core/workflow/definition";
import { RoleBook } from "../../../core/identity/roles";
import type { PluginManifest } from "../../../core/plugins/types";

const FIXTURE = path.resolve(__dirname, "../../fixtures/workflow-forms/etrading/etrading.tender.workflow.json");
const forms = new Set(["etrading.tender-notice", "etrading.tender-amendment", "etrading.evaluation"]);
const knownForm = (id: string) => forms.has(id);
// the roles the fixture names, as plugins declare them; "mayor" and "auditor" below are nobody's
const declaring = (name: string, roles: string[]) =>
  ({ name, roles: Object.fromEntries(roles.map((r) => [r, { title: { "zh-CN": r, en: r } }])) }) as unknown as PluginManifest;
const roles = new RoleBook([declaring("registries", ["purchaser", "agency", "supplier"]), declaring("supervision", ["regulator"])]);

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "wf-defs-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;
const base = (): Doc => JSON.parse(fs.readFileSync(FIXTURE, "utf8"));

function load(change: (d: Doc) => void, file = "etrading.tender.workflow.json", plugin = "etrading") {
  const doc = base();
  change(doc);
  const f = path.join(dir, file);
  fs.writeFileSync(f, JSON.stringify(doc));
  return loadWorkflow(f, plugin, knownForm, dir, roles);
}

function refusal(change: (d: Doc) => void, file?: string, plugin?: string): string {
  try {
    load(change, file, plugin);
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowLoadError);
    return (err as Error).message;
  }
  throw new Error("the workflow loaded");
}

test("the fixture loads: states, transitions with their from-lists, effects", () => {
  const wf = loadWorkflow(FIXTURE, "etrading", knownForm, undefined, roles);
  expect(wf.id).toBe("etrading.tender");
  expect(Object.keys(wf.states)).toEqual(["draft", "published", "opening", "evaluated", "cancelled"]);
  expect(wf.transitions.find((t) => t.name === "cancel")!.from).toEqual(["draft", "published"]);
  expect(wf.transitions.find((t) => t.name === "open")!.deadline).toEqual({ at: "/tenderPeriod/endDate" });
  expect(wf.start.effects).toEqual([]);
});

test.each<[string, (d: Doc) => void, RegExp]>([
  ["an unknown form", (d) => (d.transitions[1].form = "etrading.nothing"), /^etrading\.tender\.workflow\.json: \/transitions\/1\/form: unknown form "etrading\.nothing"/],
  ["an unknown start form", (d) => (d.start.form = "etrading.missing"), /\/start\/form: unknown form "etrading\.missing"/],
  ["an unknown state in to", (d) => (d.transitions[0].to = "nowhere"), /\/transitions\/0\/to: unknown state "nowhere"/],
  ["an unknown state in a from list", (d) => (d.transitions[4].from = ["draft", "limbo"]), /\/transitions\/4\/from\/1: unknown state "limbo"/],
  ["an unknown initial state", (d) => (d.initial = "start"), /\/initial: "start" is not one of the states/],
  ["an unknown role", (d) => (d.transitions[0].roles = ["purchaser", "mayor"]), /\/transitions\/0\/roles\/1: unknown role "mayor" \(roles: platform-admin, tenant-admin, purchaser, agency, supplier, regulator\)/],
  ["an unknown role in a notify effect", (d) => (d.transitions[0].effects[1].roles = ["auditor"]), /\/transitions\/0\/effects\/1\/roles\/0: unknown role "auditor"/],
  ["an unknown effect", (d) => (d.transitions[0].effects = [{ type: "fax", to: "everyone" }]), /\/transitions\/0\/effects\/0/],
  ["an unreachable state", (d) => (d.states.archived = { title: { "zh-CN": "归档", en: "Archived" } }), /\/states: unreachable from "draft": archived/],
  ["a way out of a terminal state", (d) => d.transitions.push({ name: "revive", title: { "zh-CN": "复活", en: "Revive" }, from: "cancelled", to: "draft", roles: ["purchaser"] }), /"cancelled" is a terminal state/],
  ["a transition nobody can take and no deadline fires", (d) => (d.transitions[4].roles = []), /\/transitions\/4\/roles: nobody may take it/],
  ["two transitions with one name", (d) => (d.transitions[4].name = "publish"), /\/transitions\/4\/name: "publish" is used by another transition/],
  ["a guard with an operation JSON Logic does not have", (d) => (d.transitions[0].guard.rule = { "no-such-op": [1] }), /\/transitions\/0\/guard\/rule: not a JSON Logic rule the engine can run: Unrecognized operation no-such-op/],
  ["a guard that is not JSON Logic at all", (d) => (d.transitions[0].guard.rule = "yes"), /\/transitions\/0\/guard\/rule: not a JSON Logic rule$/],
  ["a deadline with neither at nor after", (d) => (d.transitions[2].deadline = {}), /\/transitions\/2\/deadline/],
  ["a misspelt key", (d) => (d.transitions[0].role = ["purchaser"]), /\/transitions\/0/],
  ["a missing title", (d) => delete d.title, /: \/title: must have required property 'title'/],
  ["an emit naming, in with, a field that does not leave", (d) => (d.transitions[0].effects[0].with.title = "/owner/phone"), /\/transitions\/0\/effects\/0\/with\/title: \/owner\/phone must be one of the public fields/],
  ["an emit naming, in with, a field without public ones", (d) => (d.transitions[3].effects[0].with = { winner: "/winner" }), /\/transitions\/3\/effects\/0\/with\/winner: \/winner must be one of the public fields/],
  ["an emit whose with overrides what the engine writes", (d) => (d.transitions[0].effects[0].with.tenantCode = "440000"), /\/transitions\/0\/effects\/0\/with\/tenantCode: "tenantCode" is what the engine itself writes/],
  ["an effect named after a plugin (core knows none)", (d) => (d.transitions[0].effects[0] = { type: "portal.publish", notice: "tender", title: "/projectName", public: ["/projectName"] }), /\/transitions\/0\/effects\/0/],
])("refused at load: %s", (_what, change, message) => {
  expect(refusal(change)).toMatch(message);
});

test("the id must match the file and the plugin", () => {
  expect(refusal(() => {}, "etrading.other.workflow.json")).toMatch(/\/id: "etrading\.tender" does not match the file name/);
  expect(refusal(() => {}, "etrading.tender.workflow.json", "emall")).toMatch(/does not begin with its plugin's name "emall\."/);
});

test("a file that is missing or not JSON is named", () => {
  expect(() => loadWorkflow(path.join(dir, "etrading.none.workflow.json"), "etrading", knownForm, dir)).toThrow(/etrading\.none\.workflow\.json: : no such file/);
  fs.writeFileSync(path.join(dir, "etrading.broken.workflow.json"), "{ not json");
  expect(() => loadWorkflow(path.join(dir, "etrading.broken.workflow.json"), "etrading", knownForm, dir)).toThrow(/etrading\.broken\.workflow\.json: : not JSON/);
});

test("roles are those of core and of the installed plugins: a role no plugin declares does not load", () => {
  // without supervision, nobody declares the regulator the fixture notifies
  const withoutSupervision = new RoleBook([declaring("registries", ["purchaser", "agency", "supplier"])]);
  expect(() => loadWorkflow(FIXTURE, "etrading", knownForm, undefined, withoutSupervision)).toThrow(/\/transitions\/0\/effects\/1\/roles\/0: unknown role "regulator"/);
  // core's own roles need no plugin
  expect(refusal((d) => (d.transitions[4].roles = ["tenant-admin", "platform-admin", "mayor"]))).toMatch(/\/transitions\/4\/roles\/2: unknown role "mayor"/);
});
