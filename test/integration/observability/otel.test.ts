import path from "node:path";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";

const FIXTURE_PLUGINS = path.resolve(__dirname, "../../fixtures/plugins");

test("without OTEL_EXPORTER_OTLP_ENDPOINT tracing is off: no SDK, no middleware, no spans", async () => {
  const platform: TestPlatform = await startTestPlatform({ pluginsDir: FIXTURE_PLUGINS });
  try {
    expect(platform.kernel.tracing).toBeUndefined();
    const names = (platform.kernel.broker.middlewares as unknown as { list: Array<{ name?: string }> }).list.map((m) => m.name);
    expect(names).toContain("Trace");
    expect(names).not.toContain("OtelTracing");
    expect(Object.keys(require.cache).filter((k) => k.includes("@opentelemetry/sdk-trace"))).toEqual([]);
    expect((await platform.api("/api/probe/notes")).status).toBe(200);
  } finally {
    await platform.stop();
  }
});

// With an endpoint, tracing is tested across processes (the exporter's transport needs a real Node,
// not jest's sandbox): test/cluster/tracing.test.ts.
