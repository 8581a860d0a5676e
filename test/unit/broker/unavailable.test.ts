import net from "node:net";
import knexFactory, { KnexTimeoutError } from "knex";
import { Errors, type ServiceBroker } from "moleculer";
import { settleError } from "../../../core/broker/middlewares";
import { toEnvelope, type Envelope } from "../../../core/errors";

/**
 * What is unavailable is said as it is (issue 13): a pool that had no free connection, a database
 * that cannot be reached and a plugin with no live node are three different answers; none of them
 * says "database unavailable" unless the database is what failed.
 */

const logged: string[] = [];
const broker = { logger: { warn: (m: string) => logged.push(m), error: (m: string) => logged.push(m) } } as unknown as ServiceBroker;

/** What a caller gets for an error met while calling `action`, in both languages. */
function answer(err: unknown, action: string): { zh: Envelope; en: Envelope } {
  let settled: unknown;
  try {
    settleError.call(broker, err, { actionName: action });
  } catch (e) {
    settled = e;
  }
  return { zh: toEnvelope(settled, "zh-CN"), en: toEnvelope(settled, "en") };
}

/** A real connection error from pg: a port nobody listens on. */
async function refusedConnection(): Promise<unknown> {
  const port = await new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
  const knex = knexFactory({ client: "pg", connection: `postgres://nobody@127.0.0.1:${port}/none`, pool: { min: 0, max: 1 } });
  try {
    await knex.raw("select 1");
    throw new Error("connected to a closed port");
  } catch (err) {
    return err;
  } finally {
    await knex.destroy();
  }
}

test("a pool with no free connection is busy (try again in a second: Retry-After), not a database that is down", () => {
  const { zh, en } = answer(new KnexTimeoutError("Knex: Timeout acquiring a connection. The pool is probably full. Are you missing a .transacting(trx) call?"), "workflows.start");
  expect(en).toEqual({ status: 503, body: { error: { code: "UNAVAILABLE", message: "The server is busy: no database connection came free in time; try again shortly", details: { reason: "database-busy", retryAfterSeconds: 1 } } } });
  expect(zh.body.error.message).toBe("服务器繁忙：暂时没有空闲的数据库连接，请稍后再试");
});

test("a database that refuses connections is down", async () => {
  const { zh, en } = answer(await refusedConnection(), "registries.purchasers.list");
  expect(en).toEqual({ status: 503, body: { error: { code: "UNAVAILABLE", message: "The database cannot be reached right now; try again shortly", details: { reason: "database-down" } } } });
  expect(zh.body.error.message).toBe("数据库暂时无法连接，请稍后再试");
});

test("a plugin with no live node is named, in both languages", () => {
  for (const err of [new Errors.ServiceNotAvailableError({ action: "registries.purchasers.list" }), new Errors.ServiceNotFoundError({ action: "registries.purchasers.list" })]) {
    // (met in the gateway's own handler: the error names the action it could not reach)
    const { zh, en } = answer(err, "gateway.rest");
    expect(en).toEqual({ status: 503, body: { error: { code: "UNAVAILABLE", message: 'No node serving "registries" is running; try again shortly', details: { reason: "no-live-node", service: "registries" } } } });
    expect(zh.body.error.message).toBe("「registries」服务当前没有可用的节点，请稍后再试");
  }
});

test("a node that died with a call pending, and a call that ran out of time, each say so", () => {
  const lost = answer(new Errors.RequestRejectedError({ action: "registries.suppliers.get", nodeID: "node-c" }), "registries.suppliers.get");
  expect(lost.en.body.error).toEqual({ code: "UNAVAILABLE", message: 'The node serving "registries" stopped answering; try again shortly', details: { reason: "node-lost", service: "registries" } });
  const late = answer(new Errors.RequestTimeoutError({ action: "workflows.start", nodeID: "node-a" }), "workflows.start");
  expect(late.en.body.error).toEqual({ code: "UNAVAILABLE", message: '"workflows" did not answer in time; try again shortly', details: { reason: "timeout", service: "workflows" } });
  expect(late.zh.body.error.message).toBe("「workflows」服务未在规定时间内响应，请稍后再试");
});
