import { normalize } from "./retrieval";

/** A tenant as the assistant needs it: the names a user types for it. */
export interface Place {
  code: string;
  name: { "zh-CN": string; en: string };
}

export interface ScheduleQuestion {
  /** null: the question names no place; the user's own tenant is meant */
  tenantCode: string | null;
  module: string;
}

// The modules users ask about by what they do there, not by the module's name.
const MODULE_WORDS: [string, RegExp][] = [
  ["emall", /电子卖场|卖场|网上商城|直购|网上竞价|反拍|e-?mall/],
  ["etrading", /投标|投个标|开标|招标|电子交易|交易系统|项目采购|e-?trading|\bbid|\btender/],
  ["finance", /金融服务|电子保函|融资|financ/],
  ["credit", /诚信|信用|credit/],
  ["supervision", /监督管理|采购计划|备案|supervision/],
];

// "yet / already / when / can I": the question is about whether the module is open, not how it works.
const AVAILABILITY =
  /(能|可以|可不可以|能不能)(用|在|上|投|开|做|办)?.{0,12}(了吗|了没|吗|没有|不)|开通|上线|启用|什么时候|何时|几时|哪天|开了|用上|\byet\b|\bwhen\b|available|\bopen\b|\bcan (i|we)\b|go(ne)? live/;

// Questions about "here": the signed-in user's own city.
const OWN_PLACE = /我们市|本市|我市|我们这|我这|我们那|我们地区|本地|当地|my (city|area|region)|our (city|area|region)|\bhere\b/;

const shortName = (zh: string) => zh.replace(/(特别行政区|自治州|自治县|地区|市|区|县)$/u, "");

/**
 * Whether a question asks if a module is open in a place, and which: answered from the schedule,
 * not from the FAQ, whose dates go stale.
 */
export function scheduleQuestion(question: string, places: Place[]): ScheduleQuestion | null {
  const text = normalize(question);
  const module = MODULE_WORDS.find(([, re]) => re.test(text))?.[0];
  if (!module || !AVAILABILITY.test(text)) return null;
  let best: Place | null = null;
  let bestLen = 0;
  for (const p of places) {
    for (const name of [p.name["zh-CN"], shortName(p.name["zh-CN"]), p.name.en.toLowerCase().replace(/\s+(city|county|district)$/, "")]) {
      // one-character names ("区") would match anything
      if (name.length >= 2 && name.length > bestLen && text.includes(name.toLowerCase())) {
        best = p;
        bestLen = name.length;
      }
    }
  }
  if (best) return { tenantCode: best.code, module };
  return OWN_PLACE.test(text) ? { tenantCode: null, module } : null;
}

export interface ScheduleSegment {
  from: string | null;
  until: string | null;
  state: string;
  units: string[] | null;
}

const STATE: Record<string, { "zh-CN": string; en: string }> = {
  off: { "zh-CN": "未开通", en: "not open" },
  pilot: { "zh-CN": "试点中（仅试点单位可办理）", en: "in pilot (for the pilot units only)" },
  live: { "zh-CN": "已上线", en: "live" },
  sunset: { "zh-CN": "停止受理新业务（在办业务可继续）", en: "closing (ongoing business only)" },
  retired: { "zh-CN": "已停用", en: "retired" },
};

const day = (iso: string) => new Date(new Date(iso).getTime() + 8 * 3600_000).toISOString().slice(0, 10);

/** The answer in both languages, from the place's timeline at `now`. */
export function scheduleAnswer(place: Place, moduleTitle: { "zh-CN": string; en: string }, segments: ScheduleSegment[], now: Date) {
  const t = now.getTime();
  const current = segments.find((s) => (!s.from || new Date(s.from).getTime() <= t) && (!s.until || t < new Date(s.until).getTime())) ?? { state: "off", from: null, until: null, units: null };
  const next = segments.find((s) => s.from && new Date(s.from).getTime() > t && s.state !== current.state);
  const state = STATE[current.state] ?? STATE.off;
  const today = day(now.toISOString());
  let zh = `${place.name["zh-CN"]}的${moduleTitle["zh-CN"]}：截至 ${today}，${state["zh-CN"]}`;
  let en = `${moduleTitle.en} in ${place.name.en}: as of ${today}, ${state.en}`;
  if (current.from && current.state !== "off") {
    zh += `（自 ${day(current.from)} 起）`;
    en += ` (since ${day(current.from)})`;
  }
  if (next?.from) {
    zh += `；计划于 ${day(next.from)} 起${(STATE[next.state] ?? STATE.off)["zh-CN"]}`;
    en += `; from ${day(next.from)}: ${(STATE[next.state] ?? STATE.off).en}`;
  }
  return { state: current.state, since: current.from, next: next ? { state: next.state, from: next.from } : null, answer: `${zh}。`, answerEn: `${en}.` };
}
