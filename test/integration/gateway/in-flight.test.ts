import path from "node:path";
import { startTestPlatform, type TestPlatform } from "../../support/kernel";

/**
 * The gateway's bounded queue (API_MAX_IN_FLIGHT, issue 16: "overload answered 503 with Retry-After
 * only when a bounded queue is full"): the requests a node holds at once are bounded; one more is
 * answered at once, 503 with Retry-After, and taken again as soon as one has finished.
 */
const FIXTURE_PLUGINS = path.resolve(__dirname, "../../fixtures/plugins");
const LIMIT = 3;

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform({ pluginsDir: FIXTURE_PLUGINS, apiMaxInFlight: LIMIT });
});
afterAll(() => platform?.stop());

test(`with ${LIMIT} slow requests held, a fourth is 503 UNAVAILABLE (overloaded) with Retry-After at once; the health check still answers; once they end, requests are taken again`, async () => {
  const slow = Array.from({ length: LIMIT }, () => platform.api("/api/probe/slow?ms=1500"));
  // the slow ones have arrived when the node holds them all
  await new Promise((r) => setTimeout(r, 400));
  const t0 = Date.now();
  const refused = await fetch(`${platform.baseUrl}/api/probe/notes`, { headers: { "accept-language": "en" } });
  expect(Date.now() - t0).toBeLessThan(1000);
  expect([refused.status, refused.headers.get("retry-after")]).toEqual([503, "1"]);
  const body = (await refused.json()) as { error: { message: string } };
  expect(body.error).toMatchObject({ code: "UNAVAILABLE", details: { reason: "overloaded", retryAfterSeconds: 1 } });
  expect(body.error.message).toMatch(/busy/);
  expect((await platform.api("/api/health")).status).toBe(200);
  expect((await Promise.all(slow)).map((r) => r.status)).toEqual(Array(LIMIT).fill(200));
  expect((await platform.api("/api/probe/notes")).status).toBe(200);
});

test("requests that end by failing or by the client leaving give their place back", async () => {
  for (let i = 0; i < LIMIT * 3; i++) expect((await platform.api("/api/probe/boom")).status).toBe(500);
  const left = new AbortController();
  const gone = fetch(`${platform.baseUrl}/api/probe/slow?ms=600`, { signal: left.signal }).catch(() => "aborted");
  await new Promise((r) => setTimeout(r, 100));
  left.abort();
  await gone;
  const answers = await Promise.all(Array.from({ length: LIMIT }, () => platform.api("/api/probe/notes")));
  expect(answers.map((r) => r.status)).toEqual(Array(LIMIT).fill(200));
});
