/**
 * Where the time of a platform action goes: the kernel's middlewares one at a time, the pieces of
 * permissionGate in isolation, and a permission gate that caches abilities (a proposed change to
 * core/broker/middlewares.ts, tried out here on a copy; core is not touched).
 *
 *   npx tsx test/bench/gate-profile.ts
 *
 * BENCH_SECONDS (default 1.5) and BENCH_ROUNDS (default 3) as in action-overhead.ts. About 50 s.
 */
import type { ActionSchema, Middleware, ServiceBroker } from "moleculer";
import { buildAbility } from "../../core/access/ability";
import { createBroker } from "../../core/broker";
import { errorBoundary, permissionGate } from "../../core/broker/middlewares";
import { forbidden, unauthenticated } from "../../core/errors";
import type { AppAbility, PlatformActionSchema, PlatformContext, PluginManifest, SessionUser } from "../../core/plugins/types";
import { tenantTree, type TenantTree } from "../../core/tenancy/tree";
import { ACTION, PARAMS, USER, asKernelWould, bareBroker, bareThingService, benchPlugins, kernelConfig, platformThingService } from "./fixtures/thing-service";
import { NOISE_NOTE, ROOT, closedLoop, envNumber, fmt, load, machine, median, table } from "./lib";

const IN_FLIGHT = 100;
const MEASURE_MS = envNumber("BENCH_SECONDS", 1.5) * 1000;
const ROUNDS = Math.round(envNumber("BENCH_ROUNDS", 3));

type Next = (ctx: PlatformContext) => Promise<unknown>;

/** permissionGate as in core, but refusals are rejected promises rather than synchronous throws. */
function gateRejecting(plugins: () => PluginManifest[], tree: TenantTree): Middleware {
  return {
    name: "PermissionGate",
    localAction(next: Next, action: ActionSchema) {
      const perm = (action as Partial<PlatformActionSchema>).permission;
      if (perm === undefined) return next;
      return function permissionGateHandler(ctx: PlatformContext) {
        let ability: AppAbility | undefined;
        Object.defineProperty(ctx.locals, "ability", {
          configurable: true,
          get: () => (ability ??= buildAbility(ctx.meta.user, plugins(), tree)),
        });
        if (perm !== "public") {
          if (!ctx.meta.user) return Promise.reject(unauthenticated());
          if (Array.isArray(perm) && !(ctx.locals.ability as AppAbility).can(perm[0], perm[1])) return Promise.reject(forbidden());
        }
        return next(ctx);
      };
    },
  } as unknown as Middleware;
}

/** What an ability depends on: the user's identity, tenant, unit and roles (and the installed plugins). */
function abilityKey(user: SessionUser | null | undefined): string {
  if (!user) return "";
  return `${user.id}\u0000${user.tenantCode}\u0000${user.unitCode ?? ""}\u0000${[...user.roles].sort().join(",")}`;
}

/**
 * The proposed gate: abilities are cached by abilityKey, at most `max` of them (least recently
 * used dropped first), and the cache is emptied when the list of manifests changes.
 */
function gateCached(plugins: () => PluginManifest[], tree: TenantTree, max = 1000): Middleware {
  const cache = new Map<string, AppAbility>();
  let seen: PluginManifest[] = [];
  const abilityFor = (user: SessionUser | null | undefined): AppAbility => {
    const current = plugins();
    if (current.length !== seen.length || current.some((m, i) => m !== seen[i])) {
      cache.clear();
      seen = current;
    }
    const key = abilityKey(user);
    let ability = cache.get(key);
    if (ability) {
      cache.delete(key); // re-insert: Map order is the LRU order
    } else {
      ability = buildAbility(user, current, tree);
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
    }
    cache.set(key, ability);
    return ability;
  };
  return {
    name: "PermissionGate",
    localAction(next: Next, action: ActionSchema) {
      const perm = (action as Partial<PlatformActionSchema>).permission;
      if (perm === undefined) return next;
      return function permissionGateHandler(ctx: PlatformContext) {
        const ability = abilityFor(ctx.meta.user);
        ctx.locals.ability = ability;
        if (perm !== "public") {
          if (!ctx.meta.user) return Promise.reject(unauthenticated());
          if (Array.isArray(perm) && !ability.can(perm[0], perm[1])) return Promise.reject(forbidden());
        }
        return next(ctx);
      };
    },
  } as unknown as Middleware;
}

/** Only the defineProperty of the core gate, no ability at all: what the accessor alone costs. */
function gateDefinePropertyOnly(): Middleware {
  return {
    name: "DefinePropertyOnly",
    localAction(next: Next, action: ActionSchema) {
      if ((action as Partial<PlatformActionSchema>).permission === undefined) return next;
      return function handler(ctx: PlatformContext) {
        Object.defineProperty(ctx.locals, "ability", { configurable: true, get: () => undefined });
        return next(ctx);
      };
    },
  } as unknown as Middleware;
}

/** Only the ability of the core gate, built and asked per call, without the defineProperty. */
function gateBuildOnly(plugins: () => PluginManifest[], tree: TenantTree): Middleware {
  return {
    name: "BuildAbilityOnly",
    localAction(next: Next, action: ActionSchema) {
      const perm = (action as Partial<PlatformActionSchema>).permission;
      if (!Array.isArray(perm)) return next;
      return function handler(ctx: PlatformContext) {
        const ability = buildAbility(ctx.meta.user, plugins(), tree);
        if (!ability.can(perm[0], perm[1])) return Promise.reject(forbidden());
        ctx.locals.ability = ability;
        return next(ctx);
      };
    },
  } as unknown as Middleware;
}

// ---------------------------------------------------------------------------------------------------------------

/** Synchronous operations per second, for at most `ms` and at most `maxIterations`. */
function opsPerSecond(fn: () => unknown, ms = 1000, maxIterations = 2_000_000): number {
  for (let i = 0; i < 2000; i++) fn(); // warm-up
  const start = performance.now();
  let n = 0;
  while (n < maxIterations && (n & 255 || performance.now() - start < ms)) {
    fn();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  const started = Date.now();
  console.log("gate-profile: where a platform action's time goes (in-process, 100 calls in flight)");
  console.log(`machine: ${machine()}; load average ${load()} at start`);
  const { plugins, note } = benchPlugins();
  const manifests = () => plugins.map((p) => p.manifest);
  const tree = tenantTree(ROOT);
  console.log(`  ${note}`);

  // --- the pieces alone, no broker ---
  console.log("\n== pieces of permissionGate alone (synchronous loop, 1 s each) ==");
  const abilityOne = buildAbility(USER, manifests(), tree);
  const micro: Array<[string, number]> = [
    ["buildAbility(user, manifests, tree)", opsPerSecond(() => buildAbility(USER, manifests(), tree))],
    ["buildAbility(...).can('read', 'Thing')  (what the gate does per call)", opsPerSecond(() => buildAbility(USER, manifests(), tree).can("read", "Thing"))],
    ["ability.can('read', 'Thing') on a built ability", opsPerSecond(() => abilityOne.can("read", "Thing"))],
    ["Object.defineProperty(fresh {}, 'ability', getter)", opsPerSecond(() => Object.defineProperty({}, "ability", { configurable: true, get: () => undefined }))],
    ["abilityKey(user) (the cache key of the proposed gate)", opsPerSecond(() => abilityKey(USER))],
  ];
  console.log(table(["operation", "ops/s", "µs each"], micro.map(([name, ops]) => [name, fmt(ops), fmt(1e6 / ops, 2)])));

  // --- brokers: kernel options, with the middlewares added one at a time ---
  const cfg = kernelConfig();
  const make = (mws: Middleware[]): ServiceBroker => {
    const b = createBroker(cfg, mws);
    b.createService(asKernelWould(platformThingService));
    return b;
  };
  const bare = bareBroker();
  bare.createService(bareThingService);
  const variants: Array<{ label: string; broker: ServiceBroker; runs: number[] }> = [
    { label: "bare (Moleculer defaults)", broker: bare, runs: [] },
    { label: "kernel options, no middlewares", broker: make([]), runs: [] },
    { label: "kernel options + errorBoundary", broker: make([errorBoundary()]), runs: [] },
    { label: "kernel options + defineProperty only", broker: make([gateDefinePropertyOnly()]), runs: [] },
    { label: "kernel options + buildAbility+can only", broker: make([gateBuildOnly(manifests, tree)]), runs: [] },
    { label: "platform: errorBoundary + permissionGate (core)", broker: make([errorBoundary(), permissionGate(manifests, tree)]), runs: [] },
    { label: "errorBoundary + gate rejecting (no sync throw)", broker: make([errorBoundary(), gateRejecting(manifests, tree)]), runs: [] },
    { label: "errorBoundary + gate caching abilities (proposed)", broker: make([errorBoundary(), gateCached(manifests, tree)]), runs: [] },
  ];
  await Promise.all(variants.map((v) => v.broker.start()));
  try {
    const opts = { meta: { user: USER } };
    for (const v of variants) {
      const answer = (await v.broker.call(ACTION, PARAMS, opts)) as { id?: number };
      if (answer?.id !== PARAMS.id) throw new Error(`${v.label}: unexpected answer ${JSON.stringify(answer)}`);
    }
    console.log(`\n== brokers (${ROUNDS} rounds × ${MEASURE_MS / 1000} s, rotating order, median) ==`);
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < variants.length; i++) {
        const v = variants[(i + r) % variants.length];
        const cps = await closedLoop(() => v.broker.call(ACTION, PARAMS, opts), { inFlight: IN_FLIGHT, warmupMs: r === 0 ? 1000 : 300, measureMs: MEASURE_MS });
        v.runs.push(cps);
        console.log(`  round ${r + 1}/${ROUNDS}  ${v.label.padEnd(52)} ${fmt(cps).padStart(8)} calls/s`);
      }
    }
  } finally {
    await Promise.allSettled(variants.map((v) => v.broker.stop()));
  }
  const bareCps = median(variants[0].runs);
  const baseCps = median(variants[1].runs);
  console.log("\n== results ==");
  console.log(
    table(
      ["variant", "calls/s", "µs/call", "+µs vs kernel opts", "vs bare"],
      variants.map((v) => {
        const cps = median(v.runs);
        return [v.label, fmt(cps), fmt(1e6 / cps, 1), fmt(1e6 / cps - 1e6 / baseCps, 1), fmt(cps / bareCps, 2) + "×"];
      }),
    ),
  );
  console.log(`\n  µs/call is one process's time per call at ${IN_FLIGHT} in flight (1 / throughput). ${NOISE_NOTE}`);
  console.log(`load average ${load()} at end; took ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`\ngate-profile: could not measure: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
