import type { Context } from "moleculer";
import type { Contribution, LoadedPlugin, PluginManifest } from "./types";

export interface ContributionEntry {
  plugin: string;
  contribution: Contribution;
}

/**
 * The plugins of this platform (every node knows all manifests, whichever services it runs)
 * and the extension points between them.
 */
export class PluginRegistry {
  private readonly byName: Map<string, LoadedPlugin>;

  constructor(readonly plugins: LoadedPlugin[]) {
    this.byName = new Map(plugins.map((p) => [p.manifest.name, p]));
  }

  get(name: string): PluginManifest | undefined {
    return this.byName.get(name)?.manifest;
  }

  names(): string[] {
    return this.plugins.map((p) => p.manifest.name);
  }

  /** Contributions to a point, in plugin dependency order. */
  contributions(pointId: string): ContributionEntry[] {
    const out: ContributionEntry[] = [];
    for (const { manifest } of this.plugins) {
      const c = manifest.extends?.[pointId];
      if (c) out.push({ plugin: manifest.name, contribution: c });
    }
    return out;
  }

  /**
   * Calls every action contributed to an "action" point, through the broker, with the caller's
   * context (so the caller's identity and permissions travel with it). A contributor whose
   * node is down fails the whole call: an owner that may go on without it catches per entry
   * by calling `contributions()` itself.
   */
  async invoke<R = unknown>(ctx: Context, pointId: string, params: unknown): Promise<Array<{ plugin: string; result: R }>> {
    const results: Array<{ plugin: string; result: R }> = [];
    for (const { plugin, contribution } of this.contributions(pointId)) {
      if (!("action" in contribution)) continue;
      results.push({ plugin, result: (await ctx.call(contribution.action, params)) as R });
    }
    return results;
  }
}
