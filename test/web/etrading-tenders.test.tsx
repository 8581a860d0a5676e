/**
 * The supplier's tender page: the countdown is drawn by the server's clock (not this computer's),
 * registering asks the platform once, and the purchaser's view says the bidder list is secret until
 * the deadline rather than showing a number.
 */
import { session } from "../../web/src/auth/session";
import { TenderPage } from "../../web/src/etrading/tenders";
import { RouterProvider } from "../../web/src/router";
import { click, render, settle } from "./render";

const SERVER_NOW = "2027-03-01T02:00:00.000Z";
const TENDER = {
  id: "5b1d2c3b-1111-4a5b-8c9d-000000000001",
  instanceId: "5b1d2c3b-1111-4a5b-8c9d-000000000001",
  title: "惠州市城区道路照明节能改造设备采购",
  method: "public-tender",
  methodTitle: { "zh-CN": "公开招标", en: "Open tender" },
  purchaserName: "惠州市交通运输局",
  agencyName: null,
  maxPrice: "1176000.00",
  status: "published",
  publishedAt: "2027-02-26T02:00:00.000Z",
  docsUntil: "2027-03-05",
  // one day, two hours and three seconds after the server's now
  bidDeadline: "2027-03-02T04:00:03.000Z",
  docsVersion: 1,
  serverTime: SERVER_NOW,
  mine: false,
  registered: false,
  config: { minBidders: { value: 3 }, finalOfferRounds: false, priceMayChange: false, invitation: "notice" },
  documents: { requirements: "LED路灯1200盏", qualifications: "独立法人" },
  messages: [],
};

let realFetch: typeof fetch;
const asked: Array<{ url: string; method: string }> = [];
let answer: Record<string, unknown> = TENDER;
beforeAll(async () => {
  realFetch = globalThis.fetch;
  globalThis.fetch = (async (url: string, init?: { method?: string }) => {
    const method = init?.method ?? "GET";
    asked.push({ url, method });
    let body: unknown = answer;
    if (url.endsWith("/auth/login")) body = { token: "t", refreshToken: "r", expiresIn: 900, mustChangePassword: false, user: { id: "u1", username: "s", displayName: "供应商", tenantCode: "441300", unitCode: "91441300MA4W7K2Q52", roles: ["supplier"] } };
    else if (url.endsWith("/me")) body = { user: { id: "u1", roles: ["supplier"] }, permissions: [] };
    else if (method === "POST") {
      body = { registered: true };
      answer = { ...TENDER, registered: true };
    }
    const text = JSON.stringify(body);
    return { ok: true, status: 200, text: async () => text, json: async () => JSON.parse(text), headers: { get: () => null } };
  }) as unknown as typeof fetch;
  await session.login("s", "p");
});
afterAll(() => {
  globalThis.fetch = realFetch;
});
afterEach(() => {
  document.body.innerHTML = "";
  asked.length = 0;
  answer = TENDER;
});

test("the countdown is the server's: this computer's clock a year off changes nothing", async () => {
  const realNow = Date.now;
  Date.now = () => Date.parse("2028-06-01T00:00:00Z");
  try {
    const { container } = await render(<RouterProvider><TenderPage id={TENDER.id} /></RouterProvider>);
    await settle();
    expect(container.querySelector("[role=timer]")!.textContent).toBe("距截止还有 1 天 02:00:03");
  } finally {
    Date.now = realNow;
  }
});

test("obtaining the documents asks the platform once, then says so and offers the bid", async () => {
  const { container } = await render(<RouterProvider><TenderPage id={TENDER.id} /></RouterProvider>);
  await settle();
  const button = [...container.querySelectorAll("button")].find((b) => b.textContent === "获取采购文件")!;
  await click(button);
  await settle();
  expect(asked.filter((a) => a.method === "POST").map((a) => a.url)).toEqual([expect.stringContaining(`/api/etrading/tenders/${TENDER.id}/registrations`)]);
  expect(container.textContent).toContain("已获取采购文件");
  expect(container.querySelector(`a[href="/etrading/tenders/${TENDER.id}/bid"]`)).not.toBeNull();
});

test("the purchaser is told the bidder list is secret until the deadline, in English too", async () => {
  answer = { ...TENDER, mine: true, registrations: null, registrationsHiddenUntil: TENDER.bidDeadline };
  const { container } = await render(<RouterProvider><TenderPage id={TENDER.id} /></RouterProvider>, "en");
  await settle();
  expect(container.textContent).toContain("Who obtained the documents, and how many, stays secret until the deadline");
  expect(container.querySelector("table")).toBeNull();
});
