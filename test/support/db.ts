import crypto from "node:crypto";
import { Client } from "pg";

function adminUrl(): string {
  const url = process.env.TEST_ADMIN_DATABASE_URL;
  if (!url) throw new Error("TEST_ADMIN_DATABASE_URL is unset: run the tests through jest (npm test), whose global setup starts PostgreSQL");
  return url;
}

async function admin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: adminUrl() });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A fresh, empty database on the test server, for one test file. */
export async function createTestDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `test_${crypto.randomBytes(6).toString("hex")}`;
  await admin((c) => c.query(`create database ${name}`));
  const u = new URL(adminUrl());
  u.pathname = "/" + name;
  return {
    url: u.toString(),
    name,
    drop: () => admin((c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}
