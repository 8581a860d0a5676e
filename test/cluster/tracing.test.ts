import path from "node:path";
import { createTestDatabase } from "../support/db";
import { startNats, type NatsServer } from "../support/nats";
import { freePort, startNode, stopAllNodes, type PlatformNode } from "../support/node-process";
import { startOtlpCollector, type OtlpSpan } from "../support/otlp-collector";

const FIXTURE_PLUGINS = path.resolve(__dirname, "../fixtures/plugins");

/**
 * One trace a request across nodes: a gateway node and a node serving the probe plugin, on NATS,
 * both exporting to a stand-in OTLP collector (OTEL_EXPORTER_OTLP_ENDPOINT).
 */
describe("OpenTelemetry and the trace id from the gateway to an action on another node and its queries and logs", () => {
  let nats: NatsServer;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let collector: Awaited<ReturnType<typeof startOtlpCollector>>;
  const nodes: PlatformNode[] = [];

  beforeAll(async () => {
    [nats, db, collector] = await Promise.all([startNats(), createTestDatabase(), startOtlpCollector()]);
  });
  afterAll(async () => {
    await stopAllNodes();
    await collector?.close();
    await db?.drop();
    await nats?.stop();
  });

  test("the caller's traceparent is continued: HTTP span on the gateway, the action's span on the probe node, the query under it; the id is X-Request-ID and on the probe node's log lines", async () => {
    const port = await freePort();
    const env = { PLUGINS_DIR: FIXTURE_PLUGINS, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, LOG_LEVEL: "info" };
    // the probe node first: its migrations make probe_notes
    nodes.push(await startNode({ nodeId: "trace-probe", services: "probe", databaseUrl: db.url, natsUrl: nats.url, env }));
    nodes.push(await startNode({ nodeId: "trace-gw", services: "gateway", databaseUrl: db.url, natsUrl: nats.url, port, env }));
    const traceId = "0af7651916cd43dd8448eb211c80319c";
    let res: Response | undefined;
    for (let i = 0; i < 40; i++) {
      res = await fetch(`http://127.0.0.1:${port}/api/probe/notes`, { headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` } });
      if (res.status === 200) break;
      await new Promise((r) => setTimeout(r, 250)); // until the gateway has discovered the probe node
    }
    expect(res?.status).toBe(200);
    expect(res?.headers.get("x-request-id")).toBe(traceId);
    // a crash on the probe node: its log line (there, with the stack) carries the gateway's trace id
    const crashTrace = "5b8aa5a2d2c872e8321cf37308d69df2";
    const crash = await fetch(`http://127.0.0.1:${port}/api/probe/boom`, { headers: { traceparent: `00-${crashTrace}-5fb397be34d26b51-01` } });
    expect(crash.status).toBe(500);
    expect(crash.headers.get("x-request-id")).toBe(crashTrace);
    // SIGTERM: each node flushes its last spans as it stops
    for (const n of nodes.reverse()) expect(await n.stop("SIGTERM")).toBe(0);

    const mine = collector.spans.filter((s) => s.traceId === traceId);
    const byId = new Map(mine.map((s) => [s.spanId, s]));
    const chain = (s: OtlpSpan) => {
      const out: string[] = [];
      for (let p = s.parentSpanId ? byId.get(s.parentSpanId) : undefined; p; p = p.parentSpanId ? byId.get(p.parentSpanId) : undefined) out.push(`${p.node}:${p.name}`);
      return out;
    };
    const httpSpan = mine.find((s) => s.name === "GET /api/probe/notes" && s.node === "trace-gw");
    expect(httpSpan?.parentSpanId).toBe("b7ad6b7169203331");
    const action = mine.find((s) => s.name === "probe.notes" && s.node === "trace-probe");
    expect(action).toBeDefined();
    expect(chain(action!)).toContain("trace-gw:GET /api/probe/notes");
    const query = mine.find((s) => s.node === "trace-probe" && s.name === "db select" && s.attributes.some((a) => a.key === "db.statement" && /probe_notes/.test(a.value.stringValue ?? "")));
    expect(query).toBeDefined();
    expect(chain(query!)[0]).toBe("trace-probe:probe.notes");
    const crashLine = nodes.find((n) => n.nodeId === "trace-probe")!.output().split("\n").find((l) => l.includes("probe.boom failed"));
    expect(JSON.parse(crashLine ?? "{}")).toMatchObject({ level: "error", node: "trace-probe", traceId: crashTrace, err: { stack: expect.stringContaining("secret_table") } });
  });
});
