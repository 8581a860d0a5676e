/**
 * @jest-environment node
 */
import { api, ApiError } from "../../web/src/api/client";

type Answer = { status: number; body?: unknown; headers?: Record<string, string> };

/** fetch answering from a script, recording what was asked */
function script(answers: Answer[]) {
  const asked: string[] = [];
  global.fetch = (async (url: string, init: RequestInit) => {
    asked.push(`${init.method} ${url}`);
    const a = answers.shift() ?? { status: 500 };
    return new Response(a.body === undefined ? null : JSON.stringify(a.body), { status: a.status, headers: { "content-type": "application/json", ...(a.headers ?? {}) } });
  }) as typeof fetch;
  return asked;
}

const busy: Answer = { status: 503, body: { error: { code: "UNAVAILABLE", message: "数据库暂时不可用" } }, headers: { "retry-after": "0.01" } };

describe("the web client and a busy server", () => {
  const realFetch = global.fetch;
  afterAll(() => {
    global.fetch = realFetch;
  });

  test("a read answered 503 is asked again and the page gets the answer", async () => {
    const asked = script([busy, busy, { status: 200, body: { id: "x" } }]);
    await expect(api.get<{ id: string }>("/instances/x")).resolves.toEqual({ id: "x" });
    expect(asked).toEqual(["GET /api/instances/x", "GET /api/instances/x", "GET /api/instances/x"]);
  });

  test("a read still refused after the retries gives the server's error", async () => {
    script([busy, busy, busy, { status: 200, body: {} }]);
    const err = await api.get("/instances/x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(503);
    expect((err as ApiError).serverMessage).toBe("数据库暂时不可用");
  });

  test("a write answered 503 is not sent again by the client", async () => {
    const asked = script([busy, { status: 201, body: {} }]);
    await expect(api.post("/instances/x/transitions/submit", {})).rejects.toMatchObject({ status: 503 });
    expect(asked).toEqual(["POST /api/instances/x/transitions/submit"]);
  });

  test("a read abandoned by its page during the pause is not asked again", async () => {
    const asked = script([{ ...busy, headers: { "retry-after": "2" } }, { status: 200, body: {} }]);
    const ctl = new AbortController();
    const pending = api.get("/instances/x", { signal: ctl.signal });
    setTimeout(() => ctl.abort(), 20);
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect(asked).toHaveLength(1);
  });
});
