import type { Service } from "moleculer";
import {
  fieldError,
  notFound,
  PlatformError,
  platformNow,
  validationFailed,
  writeAudit,
  actorOf,
  type PlatformContext,
  type PlatformServiceSchema,
  type PluginServiceThis,
} from "../../../core/sdk";
import { Retriever, Synonyms, type Hit, type KbEntry } from "../retrieval";
import { scheduleAnswer, scheduleQuestion, type Place, type ScheduleSegment } from "../schedule";
import { ENTRIES, entryOf, HANDOVERS, kbChanged, kbGeneration, seedKnowledgeBase, SYNONYMS, type EntryRow } from "./kb";

/** Longest question taken: a chat message, not a document (the gateway's body limit is far larger). */
export const MAX_QUESTION = 500;
/**
 * Below this BM25F score the best entry shares too little with the question to be its answer and
 * the user is handed over. Chosen on the evaluation set (test/fixtures/helpdesk): unanswerable
 * questions score under 2.2 but one, answerable ones mostly above 3.
 */
export const THRESHOLD = 2.5;
/** Questions per minute from one user or address (a person types a few; a script many). */
const ratePerMinute = () => Number(process.env.HELPDESK_RATE_PER_MINUTE ?? 30);

const ASK_FOR_PERSON = /转人工|人工客服|人工服务|找人工|真人|客服人员|\bhuman\b|real person|\boperator\b|talk to (an? )?(agent|person|someone)/i;
// Control characters other than tab and line breaks, and the replacement character a binary
// upload decodes to: a chat message is text.
const BINARY = /[\u0001-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffd]/;
const PAGE = /^\/[^\s]{0,200}$/;

const SCHEDULE_SOURCE = "tenants/schedules.json（粤财采购函〔2020〕59号、茂财采购函〔2021〕1号）";

interface Index {
  retriever: Retriever;
  entries: Map<string, KbEntry>;
  stamp: string;
  checkedAt: number;
  generation: number;
}

type This = Service &
  PluginServiceThis & {
    index?: Index;
    building?: Promise<Index>;
    places?: { at: number; list: Place[] };
    asked: Map<string, { tokens: number; at: number }>;
    currentIndex(): Promise<Index>;
    placesOf(ctx: PlatformContext): Promise<Place[]>;
  };

interface TreeNode {
  code: string;
  name: { "zh-CN": string; en: string };
  children?: TreeNode[];
}

function checkQuestion(params: { question?: unknown; page?: unknown }): { question: string; page: string | null } {
  const q = params.question;
  if (typeof q !== "string" || !q.trim()) throw validationFailed([fieldError("/question", "required", "请输入问题", "type a question")]);
  if (q.length > MAX_QUESTION) throw validationFailed([fieldError("/question", "maxLength", `问题不能超过 ${MAX_QUESTION} 个字`, `a question is at most ${MAX_QUESTION} characters`)]);
  if (BINARY.test(q)) throw validationFailed([fieldError("/question", "text", "问题只能是文字", "a question must be text")]);
  const page = params.page;
  if (page !== undefined && page !== null && (typeof page !== "string" || !PAGE.test(page))) {
    throw validationFailed([fieldError("/page", "pattern", "页面应为以 / 开头的路径", "page must be a path starting with /")]);
  }
  return { question: q.trim(), page: (page as string | undefined) ?? null };
}

const brief = (e: KbEntry) => ({ id: e.id, category: e.category, question: e.question, sources: e.sources });

export const assistantService: PlatformServiceSchema = {
  name: "helpdesk",
  created(this: This) {
    this.asked = new Map();
  },
  async started(this: This) {
    await seedKnowledgeBase(this.db);
  },
  methods: {
    /**
     * The index of the published entries, rebuilt when an entry or the synonym list changed (on
     * any node: the stamp is read from the tables on each question, one indexed row each).
     */
    async currentIndex(this: This): Promise<Index> {
      // another node's edit is seen within a second; this node's at once (published() below)
      if (this.index && this.index.generation === kbGeneration() && Date.now() - this.index.checkedAt < 1000) return this.index;
      const row = await this.db.first(
        this.db.raw(`(select max(updated_at) from ${ENTRIES})::text || '/' || (select count(*) from ${ENTRIES}) || '/' || coalesce((select updated_at from ${SYNONYMS} where id = 1)::text, '') as stamp`),
      );
      const stamp: string = row?.stamp ?? "";
      if (this.index?.stamp === stamp) {
        this.index.checkedAt = Date.now();
        this.index.generation = kbGeneration();
        return this.index;
      }
      const generation = kbGeneration();
      this.building ??= (async () => {
        const [rows, syn] = await Promise.all([this.db<EntryRow>(ENTRIES).select(), this.db(SYNONYMS).where({ id: 1 }).first()]);
        const entries = rows.map(entryOf);
        const index = { retriever: new Retriever(entries, new Synonyms(syn?.groups ?? [])), entries: new Map(entries.map((e) => [e.id, e])), stamp, checkedAt: Date.now(), generation };
        this.index = index;
        return index;
      })().finally(() => {
        this.building = undefined;
      });
      return this.building;
    },

    // The tenant tree through tenancy's public action; it changes only with a restart.
    async placesOf(this: This, ctx: PlatformContext): Promise<Place[]> {
      if (this.places && Date.now() - this.places.at < 60_000) return this.places.list;
      const root = (await ctx.call("tenancy.tree")) as TreeNode;
      const list: Place[] = [];
      const walk = (n: TreeNode) => {
        list.push({ code: n.code, name: n.name });
        n.children?.forEach(walk);
      };
      walk(root);
      this.places = { at: Date.now(), list };
      return list;
    },
  },
  actions: {
    /** POST /api/helpdesk/ask: the assistant, signed in or not. */
    ask: {
      rest: "POST /ask",
      kind: "read",
      permission: "public",
      async handler(this: This, ctx: PlatformContext<{ question?: unknown; page?: unknown }>) {
        const { question, page } = checkQuestion(ctx.params);
        const user = ctx.meta.user;
        const who = user?.id ?? (ctx.meta as { client?: { ip?: string } }).client?.ip ?? "anonymous";
        // a token bucket per caller: a burst of a minute's questions, then one per 60/rate seconds
        const rate = ratePerMinute();
        const now = Date.now();
        const bucket = this.asked.get(who) ?? { tokens: rate, at: now };
        bucket.tokens = Math.min(rate, bucket.tokens + ((now - bucket.at) / 60_000) * rate);
        bucket.at = now;
        if (bucket.tokens < 1) {
          throw new PlatformError("RATE_LIMITED", { "zh-CN": "提问太频繁，请稍后再试", en: "Too many questions; try again shortly" }, { retryAfterSeconds: Math.ceil(((1 - bucket.tokens) * 60) / rate) });
        }
        bucket.tokens -= 1;
        this.asked.set(who, bucket);
        if (this.asked.size > 50_000) this.asked.clear();

        const index = await this.currentIndex();
        const role = user?.roles.find((r) => ["purchaser", "agency", "supplier", "expert", "regulator", "bank"].includes(r)) ?? (user ? null : "public");
        // markup is kept as the user's text, but its tags are no words of the question
        const hits: Hit[] = index.retriever.search(question.replace(/<[^>]*>/g, " "), { role, page }, 3);
        const found = hits.map((h) => ({ ...brief(index.entries.get(h.id)!), score: Number(h.score.toFixed(3)) }));

        const handover = async (reason: "asked" | "low-score") => {
          const [row] = await this.db(HANDOVERS)
            .insert({
              question,
              reason,
              page,
              user_id: user?.id ?? null,
              tenant_code: user?.tenantCode ?? null,
              roles: JSON.stringify(user?.roles ?? []),
              candidates: JSON.stringify(hits.map((h) => h.id)),
            })
            .returning("id");
          return { question, handover: true, handoverId: row.id as string, reason, answer: null, alternatives: found };
        };

        if (ASK_FOR_PERSON.test(question)) return handover("asked");

        const wantsSchedule = scheduleQuestion(question, await this.placesOf(ctx));
        const tenantCode = wantsSchedule?.tenantCode ?? (wantsSchedule && user?.tenantCode) ?? null;
        if (wantsSchedule && tenantCode) {
          const timeline = (await ctx.call("tenancy.timeline", { code: tenantCode, module: wantsSchedule.module })) as {
            tenant: Place;
            title: { "zh-CN": string; en: string };
            segments: ScheduleSegment[];
          };
          const told = scheduleAnswer(timeline.tenant, timeline.title, timeline.segments, platformNow());
          return {
            question,
            handover: false,
            answer: { kind: "schedule", id: `schedule:${tenantCode}:${wantsSchedule.module}`, tenantCode, module: wantsSchedule.module, ...told, sources: [SCHEDULE_SOURCE] },
            alternatives: found.slice(0, 2),
          };
        }

        if (!hits.length || hits[0].score < THRESHOLD) return handover("low-score");
        const top = index.entries.get(hits[0].id)!;
        return {
          question,
          handover: false,
          answer: { kind: "faq", ...brief(top), answer: top.answer, answerEn: top.answerEn, score: found[0].score },
          alternatives: found.slice(1, 3),
        };
      },
    },

    /** GET /api/helpdesk/faq: the published entries, for the help page (by category, with search). */
    faq: {
      rest: "GET /faq",
      kind: "read",
      permission: "public",
      async handler(this: This) {
        const index = await this.currentIndex();
        const items = [...index.entries.values()].sort((a, b) => a.id.localeCompare(b.id));
        return { items };
      },
    },

    entry: {
      rest: "GET /faq/:id",
      kind: "read",
      permission: "public",
      async handler(this: This, ctx: PlatformContext<{ id: string }>) {
        const row = await this.db<EntryRow>(ENTRIES).where({ id: String(ctx.params.id) }).first();
        if (!row) throw notFound({ "zh-CN": "知识库条目", en: "knowledge-base entry" });
        return entryOf(row);
      },
    },

    synonyms: {
      rest: "GET /synonyms",
      kind: "read",
      permission: "public",
      async handler(this: This) {
        const row = await this.db(SYNONYMS).where({ id: 1 }).first();
        return { groups: row?.groups ?? [], updatedAt: row ? new Date(row.updated_at).toISOString() : null };
      },
    },

    /** PUT /api/helpdesk/synonyms { groups }: staff edit the list; the next question uses it. */
    putSynonyms: {
      rest: "PUT /synonyms",
      kind: "continue",
      permission: ["update", "HelpdeskSynonyms"],
      async handler(this: This, ctx: PlatformContext<{ groups?: unknown }>) {
        const groups = ctx.params.groups;
        const problems = [];
        if (!Array.isArray(groups) || groups.length > 2000) problems.push(fieldError("/groups", "type", "应为同义词组的列表（最多 2000 组）", "a list of synonym groups (at most 2000)"));
        else {
          groups.forEach((g, i) => {
            if (!Array.isArray(g) || g.length < 2 || g.length > 50 || g.some((w) => typeof w !== "string" || !w.trim() || w.length > 40)) {
              problems.push(fieldError(`/groups/${i}`, "group", "每组应有 2 至 50 个词，每词 1 至 40 个字", "each group has 2 to 50 words of 1 to 40 characters"));
            }
          });
        }
        if (problems.length) throw validationFailed(problems.slice(0, 20));
        await this.db.transaction(async (trx) => {
          const before = await trx(SYNONYMS).where({ id: 1 }).forUpdate().first();
          await trx(SYNONYMS)
            .insert({ id: 1, groups: JSON.stringify(groups), updated_by: ctx.meta.user!.id, updated_at: platformNow() })
            .onConflict("id")
            .merge();
          await writeAudit(trx, { actor: actorOf(ctx.meta.user!), tenantCode: ctx.meta.user!.tenantCode, action: "helpdesk.synonyms.put", object: "synonyms", before: before?.groups ?? null, after: groups });
        });
        kbChanged();
        return { groups };
      },
    },

    /** GET /api/helpdesk/handovers: the questions waiting for a person, for helpdesk staff. */
    handovers: {
      rest: "GET /handovers",
      kind: "read",
      permission: ["read", "HelpdeskHandover"],
      async handler(this: This, ctx: PlatformContext) {
        // an agent sees their region's users (a division code's region is its prefix) and visitors
        const region = ctx.meta.user!.tenantCode.replace(/0+$/, "");
        const rows = await this.db(HANDOVERS)
          .where({ status: "waiting" })
          .andWhere((q) => q.whereNull("tenant_code").orWhere("tenant_code", "like", `${region}%`)).orderBy("created_at", "desc").limit(100);
        return {
          items: rows.map((r) => ({
            id: r.id,
            question: r.question,
            reason: r.reason,
            page: r.page,
            tenantCode: r.tenant_code,
            roles: r.roles,
            candidates: r.candidates,
            createdAt: new Date(r.created_at).toISOString(),
          })),
        };
      },
    },
  },
};
