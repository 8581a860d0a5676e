import type { ActionSchema, Middleware } from "moleculer";
import { Readable } from "node:stream";
import type { Knex } from "knex";
import { canonicalJson, sha256Hex } from "../audit/chain";
import { conflict, fieldError, validationFailed } from "../errors";
import type { PlatformActionSchema, PlatformContext } from "../plugins/types";

/** An Idempotency-Key: what clients send (a UUID, a counter, a hash) fits; anything else is a mistake. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/** The request's Idempotency-Key header, checked: undefined when none was sent, a 400 when it is malformed. */
export function idempotencyKeyOf(raw: unknown): string | undefined {
  if (raw === undefined || raw === null || raw === "") return undefined;
  if (typeof raw !== "string" || !IDEMPOTENCY_KEY.test(raw)) {
    throw validationFailed([fieldError("/headers/idempotency-key", "format", "Idempotency-Key 应为 1–200 个可见 ASCII 字符", "Idempotency-Key must be 1–200 visible ASCII characters")]);
  }
  return raw;
}

const TABLE = "core_idempotency_keys";

/** What a kept key holds until its write has answered. */
const PENDING = { pending: true };

interface Kept {
  pending?: boolean;
  /** the write's answer, and its status when it set one (201) */
  value?: unknown;
  status?: number;
  /** the answer was a stream or bytes, which cannot be given again */
  unrepeatable?: boolean;
}

const inProgress = () =>
  conflict(
    { "zh-CN": "使用该 Idempotency-Key 的请求仍在处理中，请稍后再试", en: "A request with this Idempotency-Key is still being handled; try again shortly" },
    { rule: "idempotency-key", reason: "in-progress" },
  );

const otherRequest = () =>
  conflict(
    { "zh-CN": "该 Idempotency-Key 已用于另一个请求", en: "This Idempotency-Key was used for another request" },
    { rule: "idempotency-key", reason: "other-request" },
  );

/**
 * Every write a signed-in client sends with an `Idempotency-Key` (DESIGN.md §7; core/workflow/README.md)
 * is done at most once: the key is kept per account with what was asked (the action and a hash of its
 * parameters) before the action runs, and its answer once it has answered; the same key again gets
 * that answer (and its status), without running the action. A key whose action failed
 * is forgotten, so that the retry runs it. While the first is still running, the same key is 409
 * `in-progress`; for another request, 409 `other-request`.
 *
 * The workflow engine's steps and a bid keep their key in their own transaction instead (the action
 * says `idempotency: "own"`), where it exists exactly when the write does. Here the key is written
 * before the action, in a statement of its own, so that a node that dies between the action's commit
 * and the answer leaves the key pending: a retry is told it is in progress, never done twice.
 *
 * Reads and anonymous calls (sign-in) pass: a read is safe to repeat, and a key is an account's.
 * The calls the action makes do not see the key: this action answers for it.
 */
export function idempotencyGate(db: () => Knex): Middleware {
  return {
    name: "IdempotencyGate",
    localAction(next: (ctx: PlatformContext) => Promise<unknown>, action: ActionSchema) {
      const a = action as Partial<PlatformActionSchema>;
      if (a.permission === undefined || a.kind === "read" || a.kind === undefined || a.idempotency === "own") return next;
      const name = String(a.name ?? "action");
      return async function idempotencyHandler(ctx: PlatformContext) {
        const user = ctx.meta.user;
        const key = user ? idempotencyKeyOf(ctx.meta.idempotencyKey) : undefined;
        if (!user || !key) return next(ctx);
        delete ctx.meta.idempotencyKey;
        const knex = db();
        const request = `call ${name} ${sha256Hex(canonicalJson(ctx.params ?? {}))}`;
        const where = { account_id: user.id, key };
        for (;;) {
          const taken = await knex(TABLE).insert({ ...where, request, result: JSON.stringify(PENDING) }).onConflict(["account_id", "key"]).ignore().returning("key");
          if (taken.length) break;
          const first = await knex(TABLE).where(where).first("request", "result");
          // gone between the two reads: its write failed and was forgotten, and this one may run it
          if (!first) continue;
          if (first.request !== request) throw otherRequest();
          const kept = first.result as Kept;
          if (kept.pending) throw inProgress();
          if (kept.unrepeatable) throw conflict({ "zh-CN": "该请求已完成，其结果无法再次提供", en: "This request was done; its answer cannot be given again" }, { rule: "idempotency-key", reason: "done" });
          if (kept.status) ctx.meta.$statusCode = kept.status;
          return kept.value ?? null;
        }
        let value: unknown;
        try {
          value = await next(ctx);
        } catch (err) {
          await knex(TABLE).where(where).del();
          throw err;
        }
        const kept: Kept = value instanceof Readable || Buffer.isBuffer(value)
          ? { unrepeatable: true }
          : { value: value === undefined ? null : value, ...(typeof ctx.meta.$statusCode === "number" ? { status: ctx.meta.$statusCode } : {}) };
        await knex(TABLE).where(where).update({ result: JSON.stringify(kept) });
        return value;
      };
    },
  } as unknown as Middleware;
}
