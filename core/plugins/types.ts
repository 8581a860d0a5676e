import type { Context, ServiceSchema, ActionSchema, ServiceSettingSchema } from "moleculer";
import type { Knex } from "knex";
import type { AbilityBuilder, MongoAbility } from "@casl/ability";
import type { Localized } from "../errors";
import type { PluginRegistry } from "./registry";
import type { WorkflowHooks } from "../workflow/hooks";

/** What a business action does, for the module gate (DESIGN.md §4). */
export type ActionKind = "create" | "continue" | "read";

/**
 * Who may call an action: anybody, any signed-in user, or a CASL check on a subject type.
 * Object-level checks (this purchaser, this tenant) happen in the handler with ctx.locals.ability.
 */
export type ActionPermission = "public" | "authenticated" | [action: string, subject: string];

export interface SessionUser {
  id: string;
  username: string;
  tenantCode: string;
  roles: string[];
  /** The registry unit the user belongs to (purchasing unit, agency, supplier, ...), if any. */
  unitCode?: string;
  /**
   * The signed-in session the token belongs to: the claims above never change within it (a change
   * of roles ends the account's sessions), so per-user work is cached by it.
   */
  sessionId?: string;
  /** signed in with a first or one-time password: nothing but changing it is allowed */
  mustChangePassword?: boolean;
  /** one of the roles oversees the tenant's business (RoleDecl.oversees), set at sign-in */
  oversees?: boolean;
}

/** A role a plugin declares (manifest `roles`): what it is called; its abilities are the plugin's `permissions`. */
export interface RoleDecl {
  title: Localized;
  description?: Localized;
  /**
   * Reads all business of its tenant and the tenants below it (every workflow instance, modules
   * retired there) and may know their units' codes: whoever supervises the region.
   */
  oversees?: boolean;
}

/**
 * Where an action's business is, for the module gate (DESIGN.md §5): the tenant and unit of the
 * object it acts on, e.g. the tender a supplier registers for. Without it the caller's tenant's
 * schedule governs (right for starting business of one's own). `of` runs before the handler, for a
 * signed-in caller; for an object that does not exist it throws the plugin's own 404.
 */
export interface ActionGate {
  /** called as the handler is, on its service (`this.db`) */
  of: (this: PluginServiceThis, ctx: PlatformContext) => Promise<{ tenantCode: string; unitCode?: string | null }>;
}

// `this` is left to each handler (`this: PluginServiceThis` and the like), as moleculer 0.14's
// typings did: 0.15 types it as the bare Service, which knows nothing of what the kernel's mixins add.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyThis = any;

export interface PlatformActionSchema extends ActionSchema<AnyThis> {
  kind: ActionKind;
  /** whose schedule governs the action: the object's (see ActionGate); the caller's tenant when absent */
  gate?: ActionGate;
  /** set by the kernel: the module (plugin) whose schedule gates this action */
  module?: string;
  permission: ActionPermission;
  /** "GET /purchasers" → GET /api/<plugin>/purchasers */
  rest?: string;
  /** The request body is a stream (e.g. a CSV upload), in `ctx.stream`, rather than parsed JSON. */
  stream?: boolean;
  /** callable by a user who must change their password first (changing it, signing out) */
  duringPasswordChange?: boolean;
  /**
   * A socket may call it to join a room its plugin owns (core/gateway/plugin-rooms.ts): it answers
   * `{ room: "<service>:...", ... }`, called as the user with `ctx.meta.socketId`.
   */
  room?: boolean;
  /**
   * "own": the action keeps a request's Idempotency-Key in its own transaction (the workflow
   * engine's steps, a bid), and the kernel's keeping (core/broker/idempotency.ts) leaves it alone.
   */
  idempotency?: "own";
}

export interface PlatformServiceSchema<S = ServiceSettingSchema> extends Omit<ServiceSchema<S, Record<string, AnyThis>, Record<string, AnyThis>, AnyThis>, "actions"> {
  actions?: Record<string, PlatformActionSchema>;
}

export type AppAbility = MongoAbility;

export interface PermissionTools {
  can: AbilityBuilder<AppAbility>["can"];
  cannot: AbilityBuilder<AppAbility>["cannot"];
  /** Tenant codes the user's tenant covers: itself and everything below it. */
  tenantScope: string[];
}

export interface ExtensionPointDecl {
  title: Localized;
  description?: Localized;
  /**
   * "action": contributors name one of their own actions, which the owner calls through the
   *           broker (so it works whichever node runs the contributor);
   * "data":   contributors give a JSON value the owner reads (menu entries, form fields, ...).
   */
  kind: "action" | "data";
  /** the point's full id "<plugin>.<point>", set by extensionPoint()/dataPoint() (core/plugins/points.ts) */
  id?: string;
  /** a typed action point: its interface's methods, each one action a provider names */
  methods?: string[];
  /** the platform does not start unless an installed plugin provides it */
  required?: boolean;
}

/**
 * { actions }: a typed point's provider, one of its own actions per method (`provide()`);
 * { action }: an untyped action point's contributor; { data }: a data point's.
 */
export type Contribution = { action: string } | { actions: Record<string, string> } | { data: unknown };

export interface PluginManifest {
  /** kebab-case; also the module key in tenant schedules */
  name: string;
  title: Localized;
  version: string;
  description?: Localized;
  dependsOn?: string[];
  /**
   * false for plugins every tenant always has (the base registries): the module gate leaves their
   * actions alone. Otherwise the plugin is a module that tenants' schedules switch on and off.
   */
  gated?: boolean;
  services: PlatformServiceSchema[];
  /** Folder of knex migrations, relative to the plugin folder. Each plugin has its own migration table. */
  migrations?: string;
  forms?: string[];
  workflows?: string[];
  /** Roles this plugin defines, by name (kebab-case, unique on the platform; core has platform-admin and tenant-admin). */
  roles?: Record<string, RoleDecl>;
  permissions?: (user: SessionUser, tools: PermissionTools) => void;
  /** Named points other plugins contribute to; the full id is "<plugin>.<key>". */
  extensionPoints?: Record<string, ExtensionPointDecl>;
  /**
   * Contributions to other plugins' points, keyed by the point's full id (`...provide(point, {...})`).
   * A provider starts after the point's owner.
   */
  extends?: Record<string, Contribution>;
  /**
   * Other plugins' points whose providers this plugin calls (`this.extensions.providers(ctx, point)`),
   * keyed by the point's id: it starts after their providers, and with "required" does not start
   * without one. A plugin calls its own points without listing them.
   */
  consumes?: Record<string, "required" | "optional">;
  /**
   * Code the workflow engine runs inside a step's transaction, for this plugin's own workflows:
   * rules across instances and derived data (core/workflow/hooks.ts).
   */
  workflowHooks?: Record<string, WorkflowHooks>;
  /**
   * Demonstration data, run once on the first start of a platform with demo accounts (the embedded
   * defaults), after the plugins it depends on: it acts through the platform's own actions as the
   * demo accounts do, so everything it makes passes the same rules as a user's work.
   */
  demo?: (tools: DemoTools) => Promise<void>;
  /**
   * Names of params and fields this plugin's actions take that must never reach a log (first
   * passwords, sealed contents): redacted at any depth of a logged object, as the kernel's own
   * secrets (passwords, tokens) are (core/observability/log.ts).
   */
  secretFields?: string[];
}

export interface DemoTools {
  /** Calls an action as an existing account (by username), as if it had signed in and changed its first password. */
  as(username: string): <T = unknown>(action: string, params?: Record<string, unknown>) => Promise<T>;
  /** The first platform administrator's username. */
  admin: string;
  /**
   * Sets the platform's clock while the demo runs (a project's stages take weeks: the demo lives
   * them in the past, up to now); the clock is back on real time when the demos are done.
   */
  travelTo(at: Date | string): void;
  /**
   * Fires the workflow deadlines due by the demo's clock. The timers start after the demos, so a demo
   * whose next step waits on a deadline (a step nobody may take by hand) fires it first. Answers how many fired.
   */
  fireDueTimers(): Promise<number>;
  log(line: string): void;
}

/** A manifest after loading: where it came from and its validated shape. */
export interface LoadedPlugin {
  manifest: PluginManifest;
  dir: string;
}

/** What every plugin service gets from the kernel (set in a mixin before `created`). */
export interface PluginServiceThis {
  db: Knex;
  plugin: PluginManifest;
  /** extension points: list and call contributions (see core/README.md) */
  extensions: PluginRegistry;
}

export type PlatformContext<P = unknown> = Context<P, { user?: SessionUser | null; $statusCode?: number; [k: string]: unknown }>;

/** The one way to declare a plugin: plugins/<name>/plugin.ts exports `definePlugin({...})` as default. */
export function definePlugin(manifest: PluginManifest): PluginManifest {
  return manifest;
}
