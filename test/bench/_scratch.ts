import { ACTION, PARAMS, USER, asKernelWould, benchPlugins, kernelConfig, platformBroker, platformThingService } from "./fixtures/thing-service";
import { closedLoop } from "./lib";
(async () => {
  const b = platformBroker(kernelConfig(), benchPlugins().plugins);
  b.createService(asKernelWould(platformThingService));
  await b.start();
  const cps = await closedLoop(() => b.call(ACTION, PARAMS, { meta: { user: USER } }), { inFlight: 100, warmupMs: 1000, measureMs: Number(process.env.MS ?? 4000) });
  console.log("platform calls/s", Math.round(cps));
  await b.stop(); process.exit(0);
})();
