import http from "node:http";
import type { AddressInfo } from "node:net";

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: { stringValue?: string; intValue?: string | number } }>;
  /** service.instance.id of the node that sent it */
  node?: string;
}

/** A stand-in OTLP/HTTP (JSON) collector on a free port: keeps every span it is sent. */
export async function startOtlpCollector() {
  const spans: OtlpSpan[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      if (req.url === "/v1/traces" && body) {
        const parsed = JSON.parse(body) as { resourceSpans: Array<{ resource: { attributes: OtlpSpan["attributes"] }; scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
        for (const rs of parsed.resourceSpans) {
          const node = rs.resource.attributes.find((a) => a.key === "service.instance.id")?.value.stringValue;
          for (const ss of rs.scopeSpans) spans.push(...ss.spans.map((s) => ({ ...s, node })));
        }
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, close: () => new Promise<void>((r) => server.close(() => r())) };
}
