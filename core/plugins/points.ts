import type { Localized } from "../errors";
import type { Contribution, ExtensionPointDecl, PlatformActionSchema, PlatformContext, PluginServiceThis } from "./types";

/**
 * Typed extension points (core/README.md, "Extension points"). A point is a value with an id and,
 * for the compiler only, the interface its providers implement; the owner exports it from its
 * `api.ts`, which other plugins may import. Providers name one of their own actions per method,
 * so a provider still runs on whichever node serves it and is called through the broker: the
 * interface's methods therefore take one JSON params object and answer JSON (or a promise of it).
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a method's params are the interface's to say
export type ProviderMethods<T> = { [K in keyof T]: (params: any) => unknown };

/** The remote face of a provider: every method goes through the broker, hence a promise. */
export type Remote<T extends ProviderMethods<T>> = {
  [K in keyof T]: (params: Parameters<T[K]>[0]) => Promise<Awaited<ReturnType<T[K]>>>;
};

export interface ExtensionPoint<T extends ProviderMethods<T>> extends ExtensionPointDecl {
  readonly id: string;
  readonly kind: "action";
  readonly methods: string[];
  /** never set: it carries T for the compiler (the interface is gone at run time) */
  readonly provider?: T;
}

export interface DataPoint<T> extends ExtensionPointDecl {
  readonly id: string;
  readonly kind: "data";
  /** never set: it carries T for the compiler */
  readonly value?: T;
}

/** A provider as a caller gets it: which plugin, and its methods, typed by the point's interface. */
export interface Provider<T extends ProviderMethods<T>> {
  plugin: string;
  call: Remote<T>;
}

const POINT_ID = /^[a-z0-9-]+\.[a-z0-9-]+$/;

function checkId(id: string): void {
  if (!POINT_ID.test(id)) throw new Error(`extension point id must be "<plugin>.<point>" in kebab-case, got ${JSON.stringify(id)}`);
}

/**
 * Declares an action point. `methods` lists every method of T (an object rather than an array so
 * that the compiler refuses one missing or one too many; the loader needs the names at run time).
 */
export function extensionPoint<T extends ProviderMethods<T>>(
  id: string,
  decl: { title: Localized; description?: Localized; methods: { [K in keyof T]-?: true }; required?: boolean },
): ExtensionPoint<T> {
  checkId(id);
  return Object.freeze({ id, kind: "action" as const, title: decl.title, description: decl.description, required: decl.required, methods: Object.keys(decl.methods) });
}

/** Declares a data point: contributors give a value of type T, read by `extensions.data(point)`. */
export function dataPoint<T>(id: string, decl: { title: Localized; description?: Localized; required?: boolean }): DataPoint<T> {
  checkId(id);
  return Object.freeze({ id, kind: "data" as const, title: decl.title, description: decl.description, required: decl.required });
}

/**
 * A provider's entry for its manifest's `extends`: one of its own actions ("<service>.<action>")
 * per method of the point's interface. Spread it: `extends: { ...provide(point, {...}) }`.
 */
export function provide<T extends ProviderMethods<T>>(point: ExtensionPoint<T>, actions: { [K in keyof T]-?: string }): Record<string, Contribution> {
  return { [point.id]: { actions: { ...actions } as Record<string, string> } };
}

/** A contributor's entry for its manifest's `extends` to a data point. */
export function contribute<T>(point: DataPoint<T>, data: T): Record<string, Contribution> {
  return { [point.id]: { data } };
}

/**
 * A provider's action for one method of a point, its handler typed by the interface (the params
 * it gets, what it must answer), so that both ends of the broker call agree with the interface:
 * `actions: { quote: implement(bidSecurity, "quote", { kind: "read", permission: "authenticated", handler(ctx) {...} }) }`.
 */
export function implement<T extends ProviderMethods<T>, K extends keyof T & string>(
  _point: ExtensionPoint<T>,
  _method: K,
  action: Omit<PlatformActionSchema, "handler"> & {
    handler(this: PluginServiceThis, ctx: PlatformContext<Parameters<T[K]>[0]>): Awaited<ReturnType<T[K]>> | Promise<Awaited<ReturnType<T[K]>>>;
  },
): PlatformActionSchema {
  return action as PlatformActionSchema;
}
