import type { Context, Middleware, Service, ServiceBroker } from "moleculer";

type Handler = (ctx: Context) => Promise<unknown>;

/** How many calls each service (and the broker, for calls this node passes on) is running. */
class Running {
  n = 0;
}
const RUNNING = Symbol("inFlight");
type Owner = { [RUNNING]?: Running };

function runningOf(owner: Owner): Running {
  return (owner[RUNNING] ??= new Running());
}

/** How many calls a service (or the broker, for calls passed to other nodes) is running now. */
export function callsInFlight(owner: Service | ServiceBroker): number {
  return (owner as Owner)[RUNNING]?.n ?? 0;
}

/**
 * Graceful stop: a service that stops first finishes the calls it is running, for at most
 * `shutdownTimeoutMs`, and so does the broker with the calls it handed to other nodes.
 *
 * This does what Moleculer's request tracking (`tracking: { enabled: true }`) does, in the place the
 * kernel's middlewares sit, at less cost a call: Moleculer keeps running calls in an array (a splice
 * a finished call, over every call in flight) behind two promises, which made a third of what the
 * kernel's broker options cost an in-process call (test/bench/options-profile.ts); here a count and one
 * promise. A call that opts out (`tracking: false` in its options) is not waited for.
 */
export function inFlight(shutdownTimeoutMs: number): Middleware {
  function track(handler: Handler): Handler {
    return function inFlightHandler(ctx: Context) {
      if (ctx.options.tracking === false) return handler(ctx);
      const running = runningOf((ctx.service ?? ctx.broker) as Owner);
      running.n++;
      let p: Promise<unknown>;
      try {
        p = handler(ctx);
      } catch (err) {
        running.n--;
        throw err;
      }
      return p.then(
        (res) => {
          running.n--;
          return res;
        },
        (err) => {
          running.n--;
          throw err;
        },
      );
    };
  }

  function finished(owner: Owner, logger: { warn(msg: string): void; error(msg: string): void }, what: string): Promise<void> {
    const running = owner[RUNNING];
    if (!running || running.n === 0) return Promise.resolve();
    logger.warn(`${what}: waiting for ${running.n} call(s) in flight (at most ${shutdownTimeoutMs / 1000} s)`);
    const deadline = Date.now() + shutdownTimeoutMs;
    return new Promise((resolve) => {
      const check = () => {
        if (running.n === 0) return resolve();
        if (Date.now() >= deadline) {
          logger.error(`${what}: ${running.n} call(s) still running after ${shutdownTimeoutMs / 1000} s; stopping without them`);
          running.n = 0;
          return resolve();
        }
        setTimeout(check, 50);
      };
      check();
    });
  }

  return {
    name: "InFlight",
    localAction: track,
    remoteAction: track,
    localEvent: track,
    serviceStopping(service: Service) {
      return finished(service as Owner, service.logger, `service ${service.fullName}`);
    },
    stopping(broker: ServiceBroker) {
      return finished(broker as Owner, broker.logger, "broker");
    },
  } as unknown as Middleware;
}
