import path from "node:path";
import type { Knex } from "knex";
import type { ServiceBroker, ServiceSchema } from "moleculer";
import { readConfig } from "../../../core/config";
import { createBroker } from "../../../core/broker";
import { openDatabase, type Database } from "../../../core/db";
import { runMigrations } from "../../../core/db/migrate";
import { startOutboxRelay, type OutboxRelay, type OutboxRelayOptions } from "../../../core/events/relay";
import type { OutboxEvent } from "../../../core/events/outbox";
import { createTestDatabase } from "../../support/db";

/**
 * What the outbox tests stand on: a fresh database with the core migrations, and "nodes": an
 * in-process broker made by the kernel's own factory on its own knex pool, with a relay started
 * against that broker and pool the way the kernel starts it.
 */

export const CORE_MIGRATIONS = path.resolve(__dirname, "../../../core/db/migrations");

export interface TestDb {
  url: string;
  /** the test's own pool, for writing business transactions and looking at rows */
  knex: Knex;
  drop(): Promise<void>;
}

export async function outboxDatabase(): Promise<TestDb> {
  const created = await createTestDatabase();
  const db = await open(created.url);
  await runMigrations(db.knex, [{ name: "core", directory: CORE_MIGRATIONS }]);
  return {
    url: created.url,
    knex: db.knex,
    async drop() {
      await db.close();
      await created.drop();
    },
  };
}

const open = (url: string): Promise<Database> => openDatabase({ ...readConfig({ LOG_LEVEL: "error" }), databaseUrl: url }, () => {});

/** One delivery a recorder saw, in the order handlers were called across every node of the test. */
export interface Delivery {
  node: string;
  consumer: string;
  params: OutboxEvent<{ seq?: number; n?: number }>;
  at: number;
}

export interface TestNode {
  id: string;
  broker: ServiceBroker;
  db: Database;
  relay?: OutboxRelay;
  startRelay(opts?: Partial<OutboxRelayOptions>): OutboxRelay;
  stop(): Promise<void>;
}

/** A broker (in-process, as `npm start` without NATS_URL) with its own pool on the test database. */
export async function startTestNode(url: string, id: string, services: ServiceSchema[] = []): Promise<TestNode> {
  const db = await open(url);
  const broker = createBroker({ ...readConfig({ LOG_LEVEL: "error" }), nodeId: id }, []);
  for (const s of services) broker.createService(s);
  await broker.start();
  const node: TestNode = {
    id,
    broker,
    db,
    startRelay(opts = {}) {
      node.relay = startOutboxRelay({ knex: db.knex, broker, databaseUrl: url, log: () => {}, ...opts });
      return node.relay;
    },
    async stop() {
      await node.relay?.stop();
      await broker.stop();
      await db.close();
    },
  };
  return node;
}

/** A service that records every delivery of `events` into `into`, as `consumer`. */
export function recorder(consumer: string, events: string[], into: Delivery[], node = "n"): ServiceSchema {
  return {
    name: consumer,
    events: Object.fromEntries(
      events.map((e) => [
        e,
        {
          context: true,
          handler(ctx: { params: Delivery["params"] }) {
            into.push({ node, consumer, params: ctx.params, at: Date.now() });
          },
        },
      ]),
    ),
  } as ServiceSchema;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `ok()` holds, checking every 10 ms; fails saying what it waited for. */
export async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<number> {
  const started = Date.now();
  while (!(await ok())) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(10);
  }
  return Date.now() - started;
}

export async function unsentCount(knex: Knex): Promise<number> {
  const [{ n }] = await knex("core_outbox").whereNull("sent_at").count<{ n: string }[]>("* as n");
  return Number(n);
}

/** Checks that within each key the `seq` of the deliveries only goes up, and returns the keys seen. */
export function assertOrderPerKey(deliveries: Delivery[]): string[] {
  const last = new Map<string, number>();
  for (const d of deliveries) {
    const key = d.params.key ?? "";
    const seq = d.params.data.seq!;
    const before = last.get(key) ?? 0;
    if (seq <= before) throw new Error(`key ${key}: seq ${seq} delivered after ${before}`);
    last.set(key, seq);
  }
  return [...last.keys()];
}
