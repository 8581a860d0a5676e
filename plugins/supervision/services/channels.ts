import type { PlatformError } from "../../../core/sdk";

/** The procurement methods of a plan (政府采购法 and the e-mall's own), as the plan form names them. */
export const TENDER_METHODS = ["public-tender", "invited-tender", "competitive-negotiation", "competitive-consultation", "single-source", "inquiry"] as const;
export const EMALL_METHODS = ["emall-direct", "emall-bidding", "designated-point"] as const;
/** 网上直购 and 网上竞价: the old execution platform still takes these while it runs beside the e-mall. */
export const LEGACY_EXECUTION_METHODS = ["emall-direct", "emall-bidding"] as const;

export type Channel = "etrading" | "emall" | "legacy-execution" | "offline";

/** What a module's schedule says of a channel now. */
export interface ModuleOpen {
  open: boolean;
  /** why not, as the module gate says it (MODULE_NOT_ENABLED with the opening date) */
  refusal?: PlatformError | null;
  /** when it opens, if it is closed and the schedule says */
  opensAt?: string | null;
}

export type ChannelOption = { channel: Channel; module: string | null } & ModuleOpen;

/** The platform channels a method could run on, best first. */
export function candidates(method: string): Array<{ channel: Exclude<Channel, "offline">; module: string }> {
  if ((TENDER_METHODS as readonly string[]).includes(method)) return [{ channel: "etrading", module: "etrading" }];
  const out: Array<{ channel: Exclude<Channel, "offline">; module: string }> = [];
  if ((EMALL_METHODS as readonly string[]).includes(method)) out.push({ channel: "emall", module: "emall" });
  if ((LEGACY_EXECUTION_METHODS as readonly string[]).includes(method)) out.push({ channel: "legacy-execution", module: "legacy-execution" });
  return out;
}

/**
 * Which channels a plan of this method may take now, by the tenant's module schedules: each
 * platform channel whose module is open for new business, and offline-by-agency only where none is.
 * `check` says what a module's schedule allows (the gate itself in a step, the schedule's state
 * in the channels API).
 */
export function channelOptions(method: string, check: (module: string) => ModuleOpen): ChannelOption[] {
  const platform: ChannelOption[] = candidates(method).map(({ channel, module }) => ({ channel, module, ...check(module) }));
  const anyOpen = platform.some((c) => c.open);
  return [...platform, { channel: "offline", module: null, open: !anyOpen, refusal: null, opensAt: null }];
}
