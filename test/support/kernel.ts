import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { readConfig, type KernelConfig } from "../../core/config";
import { startKernel, type Kernel } from "../../core/kernel";
import type { SessionUser } from "../../core/plugins/types";
import { createTestDatabase } from "./db";

export interface TestPlatform {
  kernel: Kernel;
  baseUrl: string;
  /** fetch a path under the platform, JSON in and out */
  api(path: string, init?: { method?: string; body?: unknown; token?: string; headers?: Record<string, string>; raw?: string | Buffer }): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  token(user: Partial<SessionUser> & { roles: string[]; tenantCode: string }): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A whole platform node in this process, on its own fresh database and a free port, the way
 * `npm start` runs it (same kernel, same gateway), for tests that go through HTTP.
 */
export async function startTestPlatform(overrides: Partial<KernelConfig> = {}): Promise<TestPlatform> {
  const db = overrides.databaseUrl ? null : await createTestDatabase();
  const cfg: KernelConfig = { ...readConfig({ LOG_LEVEL: "error" }), port: 0, host: "127.0.0.1", databaseUrl: db?.url, ...overrides };
  const kernel = await startKernel(cfg, () => {});
  const gateway = kernel.broker.getLocalService("gateway") as unknown as { server?: Server } | undefined;
  const port = gateway?.server ? (gateway.server.address() as AddressInfo).port : 0;
  const baseUrl = `http://127.0.0.1:${port}`;
  let n = 0;
  return {
    kernel,
    baseUrl,
    async api(path, init = {}) {
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      if (init.token) headers.authorization = `Bearer ${init.token}`;
      let body: string | Buffer | undefined = init.raw;
      if (init.body !== undefined) {
        headers["content-type"] ??= "application/json";
        body = JSON.stringify(init.body);
      }
      const res = await fetch(baseUrl + path, { method: init.method ?? "GET", headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        /* not JSON: keep the text */
      }
      return { status: res.status, body: parsed };
    },
    token(user) {
      n++;
      return kernel.tokens.issue({ id: user.id ?? `user-${n}`, username: user.username ?? `user${n}`, unitCode: user.unitCode, ...user });
    },
    async stop() {
      await kernel.stop();
      await db?.drop();
    },
  };
}
