/**
 * Sign-ins per second through the platform (POST /api/auth/login over HTTP: rate limit and lockout
 * counters, the account, argon2id, a session row, the audit row, a signed token) against the bare
 * library underneath, argon2.verify of the same hash, in the same run and with the same number in
 * flight. Argon2id is meant to be the cost of a sign-in: the ratio says how much the rest adds.
 *
 *   npx tsx test/bench/sign-in.ts
 *
 * PostgreSQL: a fresh embedded server in a temporary folder (or a database on DATABASE_URL's
 * server), dropped at the end. SIGN_IN_MS (default 5000) sets how long each variant is measured.
 * A benchmark: it prints figures and exits 0 whatever they are.
 */
import * as argon2 from "argon2";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { readConfig } from "../../core/config";
import { startKernel } from "../../core/kernel";
import { usernameKey } from "../../core/identity/accounts";
import { hashPassword } from "../../core/identity/passwords";
import { NOISE_NOTE, benchDatabase, closedLoop, envNumber, fmt, freePort, load, machine, table, writeSummary } from "./lib";

const MEASURE_MS = Math.round(envNumber("SIGN_IN_MS", 5000));
const PASSWORD = "Bench-Harbour-Lantern-2026";
// argon2 runs on libuv's thread pool (4 threads): more in flight only queues.
const IN_FLIGHT = 4;

async function main(): Promise<void> {
  const db = await benchDatabase("bench_sign_in");
  const kernel = await startKernel(
    { ...readConfig({ LOG_LEVEL: "warn" }), port: await freePort(), host: "127.0.0.1", databaseUrl: db.url, initAdminPassword: PASSWORD + "-keeper", loginRatePerIp: 1_000_000_000 },
    () => {},
  );
  try {
    const hash = await hashPassword(PASSWORD);
    await kernel.db.knex("core_accounts").insert({
      username: "bench.user",
      username_key: usernameKey("bench.user"),
      display_name: "bench",
      tenant_code: "441300",
      roles: ["purchaser"],
      password_kind: "chosen",
      password_hash: hash,
    });
    const gateway = kernel.broker.getLocalService("gateway") as unknown as { server: Server };
    const url = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}/api/auth/login`;
    const body = JSON.stringify({ username: "bench.user", password: PASSWORD });
    const signIn = async () => {
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
      if (res.status !== 200) throw new Error(`sign-in answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    };
    const verify = async () => {
      if (!(await argon2.verify(hash, PASSWORD))) throw new Error("argon2.verify said no");
    };

    const opts = { inFlight: IN_FLIGHT, warmupMs: 1000, measureMs: MEASURE_MS };
    // Alternated, twice each, so that a burst of other work on the machine hits both.
    const bare: number[] = [];
    const platform: number[] = [];
    for (let round = 0; round < 2; round++) {
      bare.push(await closedLoop(verify, opts));
      platform.push(await closedLoop(signIn, opts));
    }
    const b = Math.max(...bare);
    const p = Math.max(...platform);
    console.log(`machine: ${machine()}; load ${load()}`);
    console.log(`${IN_FLIGHT} in flight, ${MEASURE_MS / 1000} s per variant, best of 2 rounds\n`);
    console.log(
      table(
        ["variant", "per second", "ms each (at this concurrency)", "rounds"],
        [
          ["argon2.verify (bare)", fmt(b), fmt((1000 * IN_FLIGHT) / b, 1), bare.map((x) => fmt(x)).join(", ")],
          ["POST /api/auth/login", fmt(p), fmt((1000 * IN_FLIGHT) / p, 1), platform.map((x) => fmt(x)).join(", ")],
        ],
      ),
    );
    console.log(`\nratio platform / bare: ${fmt(p / b, 2)}×\n${NOISE_NOTE}`);
    writeSummary({ platform: p, bare: b, ratio: p / b });
  } finally {
    await kernel.stop();
    await db.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
