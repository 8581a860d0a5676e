import type { ServiceBroker } from "moleculer";
import { readConfig } from "../../../core/config";
import { createBroker } from "../../../core/broker";
import { callsInFlight } from "../../../core/broker/in-flight";

/**
 * Graceful stop as the kernel's brokers do it (core/broker/in-flight.ts, in place of Moleculer's
 * request tracking): a stopping service finishes what it is running, for at most SHUTDOWN_TIMEOUT_MS.
 */
describe("a stopping broker finishes the calls in flight", () => {
  let broker: ServiceBroker | undefined;
  const release: Array<() => void> = [];

  function start(shutdownTimeoutMs: number): ServiceBroker {
    broker = createBroker({ ...readConfig({ LOG_LEVEL: "fatal" }), nodeId: `in-flight-${shutdownTimeoutMs}`, shutdownTimeoutMs }, []);
    broker.createService({
      name: "slow",
      actions: {
        // answers when the test lets it
        wait: { handler: () => new Promise<string>((resolve) => release.push(() => resolve("done"))) },
        throws: {
          handler: () => {
            throw new Error("refused at once");
          },
        },
      },
    });
    return broker;
  }

  afterEach(async () => {
    release.splice(0).forEach((r) => r());
    await broker?.stop().catch(() => {});
    broker = undefined;
  });

  test("stop waits until the running call answers, and the caller gets its answer", async () => {
    const b = start(5_000);
    await b.start();
    const answer = b.call("slow.wait");
    await new Promise((r) => setImmediate(r));
    expect(callsInFlight(b.getLocalService("slow")!)).toBe(1);
    let stopped = false;
    const stopping = b.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 150));
    expect(stopped).toBe(false);
    release.shift()!();
    await expect(answer).resolves.toBe("done");
    await stopping;
    expect(stopped).toBe(true);
    broker = undefined;
  });

  test("a call that never answers holds the stop for the shutdown timeout only", async () => {
    const b = start(300);
    await b.start();
    void b.call("slow.wait").catch(() => {});
    await new Promise((r) => setImmediate(r));
    const t0 = Date.now();
    await b.stop();
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(3_000);
    broker = undefined;
  });

  test("a call that fails, synchronously or not, is no longer counted", async () => {
    const b = start(5_000);
    await b.start();
    // (the kernel's error handler answers it as an internal error)
    await expect(b.call("slow.throws")).rejects.toMatchObject({ type: "INTERNAL_ERROR" });
    expect(callsInFlight(b.getLocalService("slow")!)).toBe(0);
    const t0 = Date.now();
    await b.stop();
    expect(Date.now() - t0).toBeLessThan(1_000);
    broker = undefined;
  });
});
