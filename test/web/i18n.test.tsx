import { api } from "../../web/src/api/client";
import { chinaDate, chinaDateTime, currentLang, groupMoney, LanguageSwitch, pick, translate, useI18n } from "../../web/src/i18n";
import { messages } from "../../web/src/i18n/messages";
import { click, render } from "./render";

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

afterEach(() => {
  document.body.innerHTML = "";
  localStorage.clear();
});

describe("the dictionary", () => {
  test("every word exists in Chinese and English, with the same placeholders, and none is empty", () => {
    const zh = messages["zh-CN"];
    const en = messages.en;
    expect(Object.keys(en).sort()).toEqual(Object.keys(zh).sort());
    for (const key of Object.keys(zh) as Array<keyof typeof zh>) {
      expect([key, placeholders(en[key])]).toEqual([key, placeholders(zh[key])]);
      expect(zh[key].trim()).not.toBe("");
      expect(en[key].trim()).not.toBe("");
    }
  });

  test("placeholders are filled; a missing one stays visible rather than vanishing", () => {
    expect(translate("zh-CN", "pager.total", { total: 42 })).toBe("共 42 条");
    expect(translate("en", "pager.total", { total: 42 })).toBe("42 in all");
    expect(translate("en", "bell.labelUnread", {})).toBe("Notifications, {n} unread");
  });

  test("what the API sends in both languages is shown in one", () => {
    expect(pick("en", { "zh-CN": "惠州市", en: "Huizhou" })).toBe("Huizhou");
    expect(pick("zh-CN", { "zh-CN": "惠州市", en: "Huizhou" })).toBe("惠州市");
    expect(pick("en", { "zh-CN": "惠州市" })).toBe("惠州市");
    expect(pick("en", null)).toBe("");
  });

  test("dates are China time whatever the browser's zone; money is grouped by its digits", () => {
    expect(chinaDate("2021-04-30T16:00:00.000Z")).toBe("2021-05-01");
    expect(chinaDateTime("2026-11-27T23:05:00Z")).toBe("2026-11-28 07:05");
    expect(groupMoney("1234567.8")).toBe("1,234,567.8");
    expect(groupMoney("-1000")).toBe("-1,000");
  });
});

function Greeting() {
  const { t, lang } = useI18n();
  return (
    <p id="greeting" data-lang={lang}>
      {t("nav.work")}
    </p>
  );
}

describe("switching the language", () => {
  test("Chinese first; the switch changes every word on screen, the page's language, and is remembered", async () => {
    const { container, unmount } = await render(
      <>
        <LanguageSwitch />
        <Greeting />
      </>,
    );
    const button = container.querySelector("button.lang-switch")!;
    expect(container.querySelector("#greeting")!.textContent).toBe("我的工作台");
    expect(button.textContent).toBe("English");
    expect(button.getAttribute("lang")).toBe("en");
    await click(button);
    expect(container.querySelector("#greeting")!.textContent).toBe("My workspace");
    expect(document.documentElement.lang).toBe("en");
    expect(document.title).toBe("Guangdong Government Procurement Cloud");
    expect(localStorage.getItem("gdpc.lang")).toBe("en");
    expect(container.querySelector("button.lang-switch")!.textContent).toBe("中文");
    await click(container.querySelector("button.lang-switch"));
    expect(container.querySelector("#greeting")!.textContent).toBe("我的工作台");
    expect(document.documentElement.lang).toBe("zh-CN");
    await unmount();
  });

  test("the API is asked for its messages in the language on screen", async () => {
    const seen: string[] = [];
    const fetchMock = jest.fn(async (_url: string, init: RequestInit) => {
      seen.push((init.headers as Record<string, string>)["accept-language"]);
      // jsdom has no Response: the part of one the client reads
      return { ok: true, status: 200, text: async () => "{}", headers: { get: () => null } };
    });
    const realFetch = globalThis.fetch;
    globalThis.fetch = fetchMock as unknown as typeof fetch;
    try {
      const { container } = await render(<LanguageSwitch />);
      await api.get("/health");
      await click(container.querySelector("button.lang-switch"));
      expect(currentLang()).toBe("en");
      await api.get("/health");
      expect(seen).toEqual(["zh-CN", "en"]);
    } finally {
      globalThis.fetch = realFetch;
    }
  });
});
