import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { messages, type MessageKey } from "./messages";

export type Lang = "zh-CN" | "en";
export const LANGS: readonly Lang[] = ["zh-CN", "en"];
export type Localized = Record<Lang, string>;
export type Vars = Record<string, string | number>;

const STORAGE_KEY = "gdpc.lang";

/** `{name}` placeholders filled from vars; a missing var stays visible rather than vanishing. */
export function translate(lang: Lang, key: MessageKey, vars?: Vars): string {
  const text: string = messages[lang][key] ?? messages["zh-CN"][key] ?? key;
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (vars[name] === undefined ? whole : String(vars[name])));
}

/** One language's text of something the API sends in both (titles, names); a plain string as it is. */
export function pick(lang: Lang, value: Partial<Localized> | string | null | undefined): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  return value[lang] ?? value["zh-CN"] ?? value.en ?? "";
}

/**
 * The language of a piece of data shown on a page in another language (WCAG 3.1.2, language of
 * parts): Chinese names and titles on an English page are marked zh-CN so that a screen reader
 * reads them as Chinese; nothing is marked where the text is in the page's own language.
 */
export function langOfText(lang: Lang, text: unknown): Lang | undefined {
  return lang === "en" && typeof text === "string" && /\p{Script=Han}/u.test(text) ? "zh-CN" : undefined;
}

/** A piece of data (a name, a title) marked with its language where that differs from the page's. */
export function Data({ children }: { children: string | null | undefined }) {
  const { lang } = useI18n();
  const marked = langOfText(lang, children);
  return marked ? <span lang={marked}>{children}</span> : <>{children}</>;
}

// The platform's dates are China Standard Time (UTC+8, no daylight saving), whoever looks at them.
const CST_MS = 8 * 3600_000;
const two = (n: number) => String(n).padStart(2, "0");

/** "2021-05-01" for an instant, in China time. */
export function chinaDate(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(Date.parse(iso) + CST_MS);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}`;
}

/** "2021-05-01 08:30" for an instant, in China time. */
export function chinaDateTime(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(Date.parse(iso) + CST_MS);
  if (Number.isNaN(d.getTime())) return iso;
  return `${chinaDate(iso)} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
}

/** Money strings with thousands separators, by the digits (never through a float). */
export function groupMoney(value: string | null | undefined): string {
  if (value === null || value === undefined || value === "") return "";
  const m = /^(-?)(\d+)(\.\d+)?$/.exec(value);
  if (!m) return value;
  return `${m[1]}${m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ",")}${m[3] ?? ""}`;
}

function initialLang(): Lang {
  try {
    const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (saved === "en" || saved === "zh-CN") return saved;
  } catch {
    /* storage refused (private mode): the default */
  }
  return "zh-CN";
}

// The API client asks for messages in the language on screen; it lives outside React.
let current: Lang = initialLang();
export const currentLang = (): Lang => current;

export interface I18n {
  lang: Lang;
  setLang(lang: Lang): void;
  t(key: MessageKey, vars?: Vars): string;
  pick(value: Partial<Localized> | string | null | undefined): string;
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children, initial }: { children: ReactNode; initial?: Lang }) {
  const [lang, setLangState] = useState<Lang>(initial ?? current);
  useEffect(() => {
    current = lang;
    document.documentElement.lang = lang;
    // a page's heading names the window (PageTitle, whose effect ran first); without one, the platform
    if (!document.getElementById("page-title")) document.title = translate(lang, "app.documentTitle");
  }, [lang]);
  const setLang = useCallback((next: Lang) => {
    current = next;
    try {
      localStorage.setItem(STORAGE_KEY, next);
    } catch {
      /* not kept: fine for this visit */
    }
    setLangState(next);
  }, []);
  const value = useMemo<I18n>(
    () => ({ lang, setLang, t: (key, vars) => translate(lang, key, vars), pick: (v) => pick(lang, v) }),
    [lang, setLang],
  );
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const ctx = useContext(I18nContext);
  if (!ctx) throw new Error("useI18n outside <I18nProvider>");
  return ctx;
}

/** The switch in the header: shows the other language in its own words, as multilingual sites do. */
export function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  const other: Lang = lang === "zh-CN" ? "en" : "zh-CN";
  return (
    <button type="button" className="lang-switch" lang={other} onClick={() => setLang(other)} aria-label={t("lang.switchTo", { lang: translate(other, "lang.name") })}>
      {translate(other, "lang.name")}
    </button>
  );
}

export type { MessageKey };
