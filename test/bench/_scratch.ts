import { bareBroker, bareThingService, kernelConfig, kernelOptionsBroker, asKernelWould, platformThingService, ACTION, PARAMS, USER } from "./fixtures/thing-service";
import { closedLoop, median } from "./lib";
(async () => {
  const cfg = kernelConfig();
  const mk = (extra: object) => { const b = kernelOptionsBroker(cfg, extra); b.createService(asKernelWould(platformThingService)); return b; };
  const bare = bareBroker(); bare.createService(bareThingService);
  const vs: [string, any, number[]][] = [
    ["bare", bare, []],
    ["kernel opts", mk({}), []],
    ["kernel opts, no tracking", mk({ tracking: { enabled: false } }), []],
    ["kernel opts, no circuit breaker", mk({ circuitBreaker: { enabled: false } }), []],
    ["kernel opts, no requestTimeout", mk({ requestTimeout: 0 }), []],
    ["kernel opts, logger false", mk({ logger: false }), []],
  ];
  await Promise.all(vs.map((v) => v[1].start()));
  for (let r = 0; r < 3; r++) for (let i = 0; i < vs.length; i++) { const v = vs[(i + r) % vs.length];
    v[2].push(await closedLoop(() => v[1].call(ACTION, PARAMS, { meta: { user: USER } }), { inFlight: 100, warmupMs: 500, measureMs: 1500 })); }
  for (const v of vs) console.log(v[0].padEnd(36), Math.round(median(v[2])), v[2].map(Math.round).join(" / "));
  process.exit(0);
})();
