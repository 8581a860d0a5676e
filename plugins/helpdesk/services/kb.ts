import type { Knex } from "knex";
import { actorOf, fieldError, notFound, PlatformError, validationFailed, writeAudit, type WorkflowHooks } from "../../../core/sdk";
import faq from "../faq.json";
import synonymsSeed from "../synonyms.json";
import type { KbEntry } from "../retrieval";

export const ENTRIES = "helpdesk_entries";
export const REVISIONS = "helpdesk_revisions";
export const SYNONYMS = "helpdesk_synonyms";
export const HANDOVERS = "helpdesk_handovers";

const ENTRY = { "zh-CN": "知识库条目", en: "knowledge-base entry" };

export interface EntryRow {
  id: string;
  category: string;
  roles: string[];
  question: string;
  variants: string[];
  answer: string;
  answer_en: string;
  sources: string[];
  version: number;
  updated_at: Date;
}

export const entryOf = (r: EntryRow): KbEntry & { version: number; updatedAt: string } => ({
  id: r.id,
  category: r.category,
  roles: r.roles,
  question: r.question,
  variants: r.variants,
  answer: r.answer,
  answerEn: r.answer_en,
  sources: r.sources,
  version: r.version,
  updatedAt: new Date(r.updated_at).toISOString(),
});

/**
 * The starting content on the first start: the FAQ (plugins/helpdesk/faq.json, a copy of the
 * project's reference file) and the synonym list. Nodes starting together may both try: a row
 * already there is left as it is, so staff edits are never overwritten.
 */
export async function seedKnowledgeBase(db: Knex): Promise<void> {
  const json = (v: unknown) => JSON.stringify(v);
  await db(ENTRIES)
    .insert(
      faq.entries.map((e) => ({
        id: e.id,
        category: e.category,
        roles: json(e.roles),
        question: e.question,
        variants: json([]),
        answer: e.answer,
        answer_en: e.answerEn,
        sources: json(e.sources),
      })),
    )
    .onConflict("id")
    .ignore();
  await db(SYNONYMS).insert({ id: 1, groups: json(synonymsSeed.groups) }).onConflict("id").ignore();
}

// Changes made on this node, so that its next question sees them without waiting for the
// once-a-second check of the tables (which is how other nodes see them).
let generation = 0;
export const kbGeneration = () => generation;
export const kbChanged = () => void generation++;

/** The next free id, faq-079 after faq-078: ids are never reused, so an answer's id stays traceable. */
async function nextId(trx: Knex.Transaction): Promise<string> {
  // serialises concurrent publications of new entries
  await trx.raw("select pg_advisory_xact_lock(hashtext('helpdesk_entries.next_id'))");
  const rows: { n: number | null }[] = await trx(ENTRIES).select(trx.raw("max(substring(id from 5)::int) as n"));
  return `faq-${String((rows[0]?.n ?? 0) + 1).padStart(3, "0")}`;
}

export const faqHooks: WorkflowHooks = {
  start: async (step) => {
    const entryId = step.result.entryId as string | undefined;
    if (entryId && !(await step.trx(ENTRIES).where({ id: entryId }).first("id"))) {
      throw validationFailed([fieldError("/entryId", "exists", `没有条目 ${entryId}`, `there is no entry ${entryId}`)]);
    }
    await step.trx(REVISIONS).insert({ instance_id: step.instanceId, entry_id: entryId ?? null, submitted_by: step.user?.id ?? null });
  },
  transitions: {
    submit: async (step) => {
      await step.trx(REVISIONS).where({ instance_id: step.instanceId }).update({ submitted_by: step.user?.id ?? null });
    },
    publish: async (step) => {
      const revision = await step.trx(REVISIONS).where({ instance_id: step.instanceId }).forUpdate().first();
      if (!revision) throw notFound(ENTRY);
      // review means a second pair of eyes: whoever submitted the text does not publish it
      if (revision.submitted_by && revision.submitted_by === step.user?.id) {
        throw new PlatformError("FORBIDDEN", { "zh-CN": "提交审核的人不能发布自己的修改，请由另一名客服人员审核", en: "Whoever submitted a change cannot publish it; another agent reviews it" });
      }
      const d = step.result;
      const id = (d.entryId as string | undefined) ?? (await nextId(step.trx));
      const row = {
        category: d.category,
        roles: JSON.stringify(d.roles),
        question: d.question,
        variants: JSON.stringify(d.variants ?? []),
        answer: d.answer,
        answer_en: d.answerEn,
        sources: JSON.stringify(d.sources),
        instance_id: step.instanceId,
        updated_at: step.now,
      };
      const before = await step.trx(ENTRIES).where({ id }).forUpdate().first();
      if (before) await step.trx(ENTRIES).where({ id }).update({ ...row, version: before.version + 1 });
      else await step.trx(ENTRIES).insert({ id, ...row });
      await step.trx(REVISIONS).where({ instance_id: step.instanceId }).update({ entry_id: id });
      await writeAudit(step.trx, {
        actor: step.user ? actorOf(step.user) : { system: true },
        tenantCode: step.tenantCode,
        action: "helpdesk.entry.publish",
        object: id,
        before: before ? entryOf(before) : null,
        after: { ...d, id, instanceId: step.instanceId },
      });
      kbChanged();
      return { data: { entryId: id } };
    },
  },
};
