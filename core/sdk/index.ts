/**
 * The plugin SDK: the one module of core/ a plugin imports (core/sdk/README.md).
 *
 * Each name below is chosen, not swept in: core's other modules may change their files and
 * internals freely as long as this list keeps its meaning. A name a plugin needs and does not
 * find here is added here, with its group, rather than imported from its file;
 * test/unit/plugins/sdk-boundary.test.ts refuses any other path of core/.
 */

// ── Declaring a plugin, its services and actions (core/plugins/types.ts, core/README.md) ──
export { definePlugin } from "../plugins/types";
export { initialCredentialPoint } from "../identity/credential";
export type { InitialCredentialRule } from "../identity/credential";
export type {
  ActionGate,
  ActionKind,
  ActionPermission,
  AppAbility,
  Contribution,
  DemoTools,
  ExtensionPointDecl,
  PermissionTools,
  PlatformActionSchema,
  PlatformContext,
  PlatformServiceSchema,
  PluginManifest,
  PluginServiceThis,
  RoleDecl,
  SessionUser,
} from "../plugins/types";

// ── Extension points: typed points a plugin's api.ts declares, providers, data (core/plugins/points.ts) ──
export { contribute, dataPoint, extensionPoint, implement, provide } from "../plugins/points";
export type { DataPoint, ExtensionPoint, Provider, ProviderMethods, Remote } from "../plugins/points";

// ── Errors: the envelope of DESIGN.md §7, bilingual messages ──
export { PlatformError, conflict, fieldError, forbidden, notFound, validationFailed } from "../errors";
export type { ErrorCode, ErrorDetail, Localized } from "../errors";
// a write sent again: the request's Idempotency-Key, checked (for an action that keeps it itself: `idempotency: "own"`)
export { idempotencyKeyOf } from "../broker/idempotency";

// ── Audit: one hash-chained entry per change, written in the change's transaction (core/audit) ──
export { actorOf, writeAudit } from "../audit/log";
export type { AuditEntry } from "../audit/log";
// a document issued under a verification code: stored, its hash in the chain, answered at /api/verify/:code
export { documentCode, documentHash, normaliseCode, sealDocument, verifyDocument } from "../audit/documents";
export type { SealInput, SealedDocument, VerifiedDocument } from "../audit/documents";

// ── Access: the caller's ability, object checks, list scoping, field-level reads (core/access) ──
export { abilityOf, assertCan } from "../access/ability";
export { scopeQuery } from "../access/sql-scope";
export { visibleFields } from "../access/fields";
export { seesUnitCode, withoutCode } from "../access/unit-code";
// the kernel's point for the units a plugin keeps: its interface and what it answers
export { unitsPoint } from "../access/units";
export type { UnitInfo, UnitsProvider } from "../access/units";

// ── Forms: validation by form id, money, CSV, the formats shared with the browser (core/forms) ──
export { checkForm, validateForm } from "../forms/validate";
export { compareMoney, isMoney, isUnsignedMoney, money, sumMoney, toMoney } from "../forms/money";
export { readCsv } from "../forms/csv";
export type { CsvOptions, CsvRow } from "../forms/csv";
export { isDate, isDivisionCode, isMonth, isUnifiedSocialCreditCode } from "../forms/formats";

// ── Attachments: a form's file fields ("format": "attachment", x-attachment) and what an upload is (core/files) ──
export { ATTACHMENT_KEYWORD, acceptsType, isAttachmentId } from "../forms/formats";
export type { AttachmentLimits } from "../forms/formats";
export type { FileView } from "../files/files";

// ── Workflow hooks: code a plugin runs in its own workflows' steps, in two phases (core/workflow) ──
export { prepared } from "../workflow/hooks";
export type { PrepareContext, PreparedStep, StepContext, StepFn, StepHook, StepOutcome, WorkflowHooks } from "../workflow/hooks";

// ── Events: the transactional outbox and handling each event once per consumer (core/events) ──
export { enqueue } from "../events/outbox";
export type { OutboxEvent, OutboxMessage } from "../events/outbox";
export { onceHandler, receiveOnce } from "../events/receipts";
export { announcePublic } from "../events/notifications";
export { toRoom } from "../gateway/plugin-rooms";
export type { RoomJoin, RoomLeft } from "../gateway/plugin-rooms";

// ── Tenancy: the tenant tree, the module gate's rule, the platform's local date (core/tenancy) ──
export { tenantTree } from "../tenancy";
export type { TenantTree } from "../tenancy/tree";
export { allows } from "../tenancy/gate";
export type { GatePlace, GateSubject } from "../tenancy/gate";
export { localDate } from "../tenancy/time";
// statutory periods in calendar or working days, counted as calc.dayCounting says (core/calendar)
export { daysBetween, endOfDay, isWorkingDay, periodEnd, platformNow, startOfDay, workingDayOnOrAfter, yearsBefore } from "../calendar";
export type { DayUnit } from "../calendar";

// ── Database ──
export { isUuid } from "../db";
export { batchedReads } from "../db/batched";

// ── Gateway: query parameters, input checks and upload limits as the kernel's own routes do them ──
export { MAX_PAGE, oneOfParam, pageOf, single, wholeParam } from "../gateway/query";
export { inputProblems } from "../gateway/input";
export { uploadLimit } from "../gateway/upload";
// every searchable list: query string, Chinese substring search, keyset pages, bounded totals
export { EXACT_TOTAL_LIMIT, bigramsOf, bigramsSql, countUpTo, decodeCursor, encodeCursor, listPage, listParams, MERGE_MIN_MATCHES, pageRows, searchTerms, termsParam, whereContains } from "../gateway/list-query";
export type { KeyKind, ListOrder, ListParamsInput, ListQuery, ListRequest, PageOptions, SearchColumn, SortKey } from "../gateway/list-query";
// every list as a CSV or Excel file with its filters, streamed
export { EXPORT_FORMATS, EXPORT_ROW_LIMIT, exportFormatParam, exportLang, exportList, neutralized } from "../gateway/export";
export type { ExportColumn, ExportFormat, ExportSpec } from "../gateway/export";
