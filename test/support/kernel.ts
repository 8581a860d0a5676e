import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { readConfig, type KernelConfig } from "../../core/config";
import { startKernel, type Kernel, type KernelOptions } from "../../core/kernel";
import type { SessionUser } from "../../core/plugins/types";
import { createTestDatabase } from "./db";
import { usernameKey } from "../../core/identity/accounts";
import { callApi, type Call, type Reply } from "./http";

export interface TestPlatform {
  kernel: Kernel;
  baseUrl: string;
  /** a request to a path under the platform, JSON in and out */
  api(path: string, init?: Call): Promise<Reply>;
  /**
   * A signed-in session for a new account with these roles (no password: it cannot sign in
   * itself), as if it had signed in; the access token.
   */
  token(user: Partial<SessionUser> & { roles: string[]; tenantCode: string }): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A whole platform node in this process, on its own fresh database and a free port, the way
 * `npm start` runs it (same kernel, same gateway), for tests that go through HTTP.
 */
export async function startTestPlatform(overrides: Partial<KernelConfig> = {}, opts: { log?: (line: string) => void; logDestination?: KernelOptions["logDestination"] } = {}): Promise<TestPlatform> {
  const db = overrides.databaseUrl ? null : await createTestDatabase();
  const cfg: KernelConfig = { ...readConfig({ LOG_LEVEL: "error" }), port: 0, host: "127.0.0.1", databaseUrl: db?.url, demoAccounts: false, ...overrides };
  const kernel = await startKernel(cfg, opts.log ?? (() => {}), { logDestination: opts.logDestination });
  const gateway = kernel.broker.getLocalService("gateway") as unknown as { server?: Server } | undefined;
  const port = gateway?.server ? (gateway.server.address() as AddressInfo).port : 0;
  const baseUrl = `http://127.0.0.1:${port}`;
  let n = 0;
  return {
    kernel,
    baseUrl,
    api: (path, init = {}) => callApi(baseUrl, path, init),
    async token(user) {
      n++;
      const username = user.username ?? `test-${n}-${Math.random().toString(36).slice(2, 8)}`;
      const [row] = await kernel.db.knex("core_accounts")
        .insert({ username, username_key: usernameKey(username), display_name: username, tenant_code: user.tenantCode, unit_code: user.unitCode ?? null, roles: user.roles })
        .returning("*");
      return (await kernel.identity.sessionFor(row)).token;
    },
    async stop() {
      await kernel.stop();
      await db?.drop();
    },
  };
}
