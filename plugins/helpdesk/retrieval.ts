import { Jieba } from "@node-rs/jieba";
import { dict } from "@node-rs/jieba/dict";

/** A knowledge-base entry as retrieval sees it (the published version). */
export interface KbEntry {
  id: string;
  category: string;
  roles: string[];
  question: string;
  variants: string[];
  answer: string;
  answerEn: string;
  sources: string[];
}

export interface Hit {
  id: string;
  score: number;
  /** the idf-weighted share of the question's words that the entry holds (0..1): the threshold's measure */
  coverage: number;
}

export interface AskContext {
  role?: string | null;
  /** the page the user is on, e.g. "/etrading/tenders/…" */
  page?: string | null;
}

// One segmenter per process: the dictionary takes ~100 ms to load and the instance is read-only
// while cutting. Words of the synonym list are added to it so that "保证金" or "电子保函" stay whole.
let jieba: Jieba | undefined;
const added = new Set<string>();
const loaded = new WeakSet<Synonyms>();
function segmenter(synonyms: Synonyms): Jieba {
  jieba ??= Jieba.withDict(dict);
  if (loaded.has(synonyms)) return jieba;
  const fresh = synonyms.words().filter((w) => /[\u4e00-\u9fff]/.test(w) && !added.has(w));
  if (fresh.length) {
    jieba.loadDict(Buffer.from(fresh.map((w) => `${w} 50000 n`).join("\n")));
    for (const w of fresh) added.add(w);
  }
  loaded.add(synonyms);
  return jieba;
}

// Words that carry no topic in a helpdesk question: asking words, pronouns, particles, politeness.
const STOP = new Set(
  (
    "的 了 吗 呢 吧 啊 呀 么 嘛 哦 哈 是 在 有 和 与 及 或 也 都 就 还 又 把 被 给 对 从 向 到 由 为 以 之 于 等 " +
    "我 我们 你 你们 您 他 她 它 他们 咱 咱们 这 那 这个 那个 这些 那些 哪 哪个 哪些 哪里 哪儿 什么 啥 怎么 怎样 怎么样 如何 为什么 为啥 " +
    "请问 请 麻烦 一下 下 想 要 需要 能 能不能 可以 可不可以 会 该 应该 得 一个 个 上 里 中 后 前 时 时候 " +
    "不 没 没有 吗？ 呢？ 现在 目前 已经 是否 有没有 是不是 一般 具体 相关 关于 情况 问题 办 办理 做 弄 搞 用 使用 " +
    "the a an is are am be do does did i we you my our your it its to of in on at for and or can could how what when where which who why " +
    "will would should shall may might there this that these those with from by as me us please hi hello yet still need get any"
  ).split(/\s+/),
);

const HAN = /[\u4e00-\u9fff]/;
const PUNCT = /[\s\p{P}\p{S}]+/gu;

export function normalize(text: string): string {
  return text
    .normalize("NFKC")
    .toLowerCase()
    // phrases English users type for one idea, joined before splitting into words
    .replace(/\b(sign|log)[\s-]?(in|on)\b/g, "login")
    .replace(/\be[\s-](mall|guarantee|trading)\b/g, "e$1");
}

const stem = (w: string) => (w.length > 4 ? w.replace(/(ing|ed|es|s)$/, "") : w);

/** Character n-grams for typo tolerance: bigrams of Han runs, trigrams of Latin words. */
function grams(text: string): string[] {
  const out: string[] = [];
  for (const run of text.match(/[\u4e00-\u9fff]+/g) ?? []) {
    for (let i = 0; i + 2 <= run.length; i++) out.push(`#${run.slice(i, i + 2)}`);
  }
  for (const word of text.match(/[a-z]{4,}/g) ?? []) {
    for (let i = 0; i + 3 <= word.length; i++) out.push(`#${word.slice(i, i + 3)}`);
  }
  return out;
}

export class Synonyms {
  private readonly canon = new Map<string, string>();
  constructor(readonly groups: string[][]) {
    for (const group of groups) {
      const head = normalize(group[0]);
      for (const w of group) {
        const key = normalize(w);
        // the first group naming a word keeps it: an ambiguous English word goes to its commoner sense
        if (!this.canon.has(key)) this.canon.set(key, head);
      }
    }
  }
  of(word: string): string {
    return this.canon.get(word) ?? this.canon.get(stem(word)) ?? word;
  }
  words(): string[] {
    return [...this.canon.keys()];
  }
}

/** The words of a text after segmentation, stop words out, each mapped to its synonym group's head. */
export function wordsOf(text: string, synonyms: Synonyms, known?: (term: string) => boolean): string[] {
  const norm = normalize(text);
  const seg = segmenter(synonyms);
  const out: string[] = [];
  const keep = (piece: string) => {
    const w = piece.trim();
    if (!w || STOP.has(w) || STOP.has(stem(w))) return;
    if (!HAN.test(w) && w.length < 2 && !/\d/.test(w)) return;
    out.push(synonyms.of(w));
  };
  for (const chunk of norm.split(PUNCT)) {
    if (!chunk) continue;
    if (!HAN.test(chunk)) {
      chunk.split(/\s+/).forEach(keep);
      continue;
    }
    // Entries are indexed in search mode (a long word and its parts); a question is cut precisely,
    // and a word the entries do not have is replaced by those of its parts they do, so that an
    // unknown word counts once against the coverage, not once per part.
    for (const word of known ? seg.cut(chunk, true) : seg.cutForSearch(chunk, true)) {
      if (!known || known(synonyms.of(word.trim()))) {
        keep(word);
        continue;
      }
      const parts = seg.cutForSearch(word, true).filter((p) => p !== word && p.length > 1 && known(synonyms.of(p)));
      const rest = [...word];
      for (const p of parts) {
        const at = word.indexOf(p);
        for (let i = at; i < at + p.length; i++) rest[i] = "";
      }
      parts.forEach(keep);
      // what no known part covers stays, as one unknown word
      if (rest.join("")) keep(rest.join(""));
    }
  }
  return out;
}

interface Doc {
  id: string;
  roles: Set<string>;
  category: string;
}

// BM25F: the question (and staff-written variants) is what a user's question resembles most; the
// answer and its English summary add the words users use for the facts; n-grams only break ties.
const FIELD_WEIGHTS = [3, 1, 1, 0.8, 0.25];
const K1 = 1.2;
const B = 0.6;
const NGRAM_FACTOR = 0.15;

// Page prefixes and the categories whose entries a user on that page most likely means.
const PAGE_CATEGORIES: [RegExp, string[]][] = [
  [/^\/(etrading|tenders?|bids?)/, ["电子交易"]],
  [/^\/(emall|mall)/, ["电子卖场"]],
  [/^\/(finance|guarantees?)/, ["金融服务"]],
  [/^\/(credit)/, ["诚信管理"]],
  [/^\/(supervision|projects?)/, ["监督管理", "采购意向与计划", "合同与支付"]],
  [/^\/(login|sign-?in|account)/, ["账号与登录"]],
];

export class Retriever {
  private readonly docs: Doc[];
  /** term → [doc index, the term's BM25F weight in it] (its idf included): the question only adds them up */
  private readonly postings = new Map<string, Array<[number, number]>>();
  private readonly idfs = new Map<string, number>();

  constructor(
    entries: KbEntry[],
    readonly synonyms: Synonyms,
  ) {
    const fieldsOf = entries.map((e) => {
      const texts = [[e.question, ...e.variants].join("。"), e.answer, e.answerEn, e.category];
      const fields = texts.map((t) => count(wordsOf(t, synonyms)));
      fields.push(count(grams(normalize([e.question, ...e.variants].join(" ")))));
      return fields;
    });
    this.docs = entries.map((e) => ({ id: e.id, roles: new Set(e.roles), category: e.category }));
    const lengths = fieldsOf.map((fields) => fields.map(total));
    const avg = FIELD_WEIGHTS.map((_, i) => lengths.reduce((s, l) => s + l[i], 0) / Math.max(1, lengths.length) || 1);
    const df = new Map<string, number>();
    fieldsOf.forEach((fields) => {
      const seen = new Set<string>();
      for (const f of fields) for (const t of f.keys()) seen.add(t);
      for (const t of seen) df.set(t, (df.get(t) ?? 0) + 1);
    });
    const n = entries.length;
    for (const [t, d] of df) this.idfs.set(t, Math.log(1 + (n - d + 0.5) / (d + 0.5)));
    fieldsOf.forEach((fields, doc) => {
      const tf = new Map<string, number>();
      fields.forEach((f, i) => {
        for (const [t, c] of f) tf.set(t, (tf.get(t) ?? 0) + (FIELD_WEIGHTS[i] * c) / (1 - B + (B * lengths[doc][i]) / avg[i]));
      });
      for (const [t, w] of tf) {
        const list = this.postings.get(t) ?? [];
        list.push([doc, this.idfs.get(t)! * (w / (K1 + w))]);
        this.postings.set(t, list);
      }
    });
    this.maxIdf = Math.log(1 + (n + 0.5) / 0.5);
  }

  private readonly maxIdf: number;

  private idf(term: string): number {
    return this.idfs.get(term) ?? this.maxIdf;
  }

  /** The entries ranked for a question, best first, each with its score and coverage. */
  search(question: string, context: AskContext = {}, limit = 3): Hit[] {
    const words = [...new Set(wordsOf(question, this.synonyms, (t) => this.idfs.has(t)))];
    const ngrams = [...new Set(grams(normalize(question)))];
    if (!words.length && !ngrams.length) return [];
    const totalIdf = words.reduce((s, w) => s + this.idf(w), 0) || 1;
    const pageCategories = context.page ? (PAGE_CATEGORIES.find(([re]) => re.test(context.page!))?.[1] ?? []) : [];
    const score = new Float64Array(this.docs.length);
    const covered = new Float64Array(this.docs.length);
    for (const [terms, factor] of [[words, 1], [ngrams, NGRAM_FACTOR]] as const) {
      for (const t of terms) {
        const list = this.postings.get(t);
        if (!list) continue;
        const idf = this.idf(t);
        for (const [doc, w] of list) {
          score[doc] += factor * w;
          if (factor === 1) covered[doc] += idf;
        }
      }
    }
    const hits: Hit[] = [];
    this.docs.forEach((d, i) => {
      let s = score[i];
      if (s <= 0) return;
      // context only reorders near-equals: an entry for the user's role or page gains a little
      if (context.role && d.roles.has(context.role)) s *= 1.08;
      if (pageCategories.includes(d.category)) s *= 1.12;
      hits.push({ id: d.id, score: s, coverage: covered[i] / totalIdf });
    });
    hits.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
    return hits.slice(0, limit);
  }
}

function count(terms: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of terms) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}
function total(m: Map<string, number>): number {
  let s = 0;
  for (const v of m.values()) s += v;
  return s;
}
