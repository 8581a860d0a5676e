import type { Context } from "moleculer";
import type { ActionKind, Contribution, LoadedPlugin, PluginManifest, SessionUser } from "./types";
import type { DataPoint, ExtensionPoint, Provider, ProviderMethods, Remote } from "./points";

export interface ContributionEntry {
  plugin: string;
  contribution: Contribution;
}

/** Whether a plugin's actions of this kind are open to this caller now (the module gate's rule). */
export type ProviderGate = (plugin: string, kind: ActionKind, user: SessionUser | null | undefined) => boolean;

/**
 * The plugins of this platform (every node knows all manifests, whichever services it runs)
 * and the extension points between them.
 */
export class PluginRegistry {
  private readonly byName: Map<string, LoadedPlugin>;
  /** "<service>.<action>" → its kind, for the module gate on providers */
  private readonly kinds = new Map<string, ActionKind>();
  private gate: ProviderGate = () => true;

  constructor(readonly plugins: LoadedPlugin[]) {
    this.byName = new Map(plugins.map((p) => [p.manifest.name, p]));
    for (const { manifest } of plugins) {
      for (const svc of manifest.services) {
        for (const [name, action] of Object.entries(svc.actions ?? {})) this.kinds.set(`${svc.name}.${name}`, action.kind);
      }
    }
  }

  /**
   * The kernel hands the module gate in once the tenants' schedules are open: from then on a
   * provider whose plugin the caller's tenant has not switched on is not offered to that caller.
   */
  gateWith(gate: ProviderGate): void {
    this.gate = gate;
  }

  get(name: string): PluginManifest | undefined {
    return this.byName.get(name)?.manifest;
  }

  names(): string[] {
    return this.plugins.map((p) => p.manifest.name);
  }

  /** Contributions to a point, in plugin dependency order (every installed contributor, gate or not). */
  contributions(pointId: string): ContributionEntry[] {
    const out: ContributionEntry[] = [];
    for (const { manifest } of this.plugins) {
      const c = manifest.extends?.[pointId];
      if (c) out.push({ plugin: manifest.name, contribution: c });
    }
    return out;
  }

  /** Whether the caller's tenant lets the caller use every one of these actions of the plugin now. */
  private open(ctx: Context, plugin: string, actions: string[]): boolean {
    const user = (ctx.meta as { user?: SessionUser | null } | undefined)?.user;
    return actions.every((a) => this.gate(plugin, this.kinds.get(a) ?? "read", user));
  }

  /**
   * The providers of a typed point that this caller may use, in plugin order: each method a call
   * through the broker with the caller's context (so identity and permissions travel with it,
   * and a provider may run on any node). A provider whose plugin is off for the caller's tenant
   * (the module gate, by the kinds of its actions) is left out, as if it were not installed there.
   */
  providers<T extends ProviderMethods<T>>(ctx: Context, point: ExtensionPoint<T>): Array<Provider<T>> {
    this.assertConsumes(ctx, point.id);
    const out: Array<Provider<T>> = [];
    for (const { plugin, contribution } of this.contributions(point.id)) {
      if (!("actions" in contribution)) continue;
      const actions = contribution.actions;
      if (!this.open(ctx, plugin, Object.values(actions))) continue;
      const call = {} as Record<string, (params: unknown) => Promise<unknown>>;
      for (const method of point.methods) call[method] = (params) => ctx.call(actions[method], params);
      out.push({ plugin, call: call as Remote<T> });
    }
    return out;
  }

  /** The values contributed to a typed data point, in plugin order. */
  data<T>(point: DataPoint<T>): Array<{ plugin: string; data: T }> {
    return this.contributions(point.id).flatMap(({ plugin, contribution }) => ("data" in contribution ? [{ plugin, data: contribution.data as T }] : []));
  }

  /**
   * Calls every action contributed to an untyped "action" point, through the broker, with the
   * caller's context; contributors the caller's tenant has not switched on are left out, as for
   * typed points. A contributor whose node is down fails the whole call: an owner that may go on
   * without it catches per entry by calling `contributions()` itself.
   */
  async invoke<R = unknown>(ctx: Context, pointId: string, params: unknown): Promise<Array<{ plugin: string; result: R }>> {
    this.assertConsumes(ctx, pointId);
    const results: Array<{ plugin: string; result: R }> = [];
    for (const { plugin, contribution } of this.contributions(pointId)) {
      if (!("action" in contribution) || !this.open(ctx, plugin, [contribution.action])) continue;
      results.push({ plugin, result: (await ctx.call(contribution.action, params)) as R });
    }
    return results;
  }

  /**
   * A plugin calls only its own points and those it lists in `consumes`: the start order (a
   * consumer after the providers) and the check for a required provider rely on that list.
   */
  private assertConsumes(ctx: Context, pointId: string): void {
    const caller = (ctx.service as { name?: string } | null | undefined)?.name?.split(".")[0];
    const manifest = caller ? this.get(caller) : undefined;
    // the kernel's own points (core.units) are always there: anyone may call them
    if (!manifest || pointId.startsWith("core.") || pointId.startsWith(`${manifest.name}.`) || manifest.consumes?.[pointId]) return;
    throw new Error(`plugin "${manifest.name}" calls the providers of "${pointId}" without listing it in consumes`);
  }
}
