/** The shapes the web app reads from the API (core and plugin READMEs are the reference). */
import type { Localized } from "../i18n";

export interface Page<T> {
  items: T[];
  total: number;
  /** true when total is the database's estimate (lists count exactly up to 10,000) */
  totalIsEstimate?: boolean;
  page: number;
  pageSize: number;
  /** the next page by keyset (`cursor=`), null on the last page, on lists that have one */
  nextCursor?: string | null;
}

export interface UserView {
  id: string;
  username: string;
  displayName: string;
  tenantCode: string;
  unitCode: string | null;
  roles: string[];
}

/** POST /api/auth/login, /auth/refresh, /auth/change-password */
export interface SignedIn {
  token: string;
  refreshToken: string;
  expiresIn: number;
  user: UserView;
  mustChangePassword: boolean;
}

export interface TenantRef {
  code: string;
  name: Localized;
  level: string;
}

/** GET /api/me */
export interface Me {
  user: UserView;
  tenant: TenantRef | null;
  mustChangePassword: boolean;
  rules: unknown[];
}

/** GET /api/tenants: the tree */
export interface TenantNode extends TenantRef {
  onPlatform: boolean;
  accountRule: string | null;
  children: TenantNode[];
}

export type ModuleState = "off" | "pilot" | "live" | "sunset" | "retired";

/** One module's state at an instant, from GET /api/tenants/:code/modules */
export interface EffectiveModule {
  module: string;
  title: Localized;
  state: ModuleState;
  units: string[] | null;
  inherited: boolean;
  source: { tenant: string; from: string; until: string | null } | null;
  next: { at: string; state: ModuleState } | null;
}

export interface TenantModules {
  tenant: TenantRef;
  at: string;
  modules: EffectiveModule[];
}

export interface OwnEntry {
  state: ModuleState;
  from: string;
  until: string | null;
  units: string[] | null;
  note: string | null;
}

export interface Segment {
  from: string | null;
  until: string | null;
  state: ModuleState;
  units: string[] | null;
  source: string | null;
  own: boolean;
}

export interface ModuleTimeline {
  tenant: TenantRef;
  module: string;
  title: Localized;
  own: OwnEntry[];
  segments: Segment[];
}

/** GET /api/portal/notices (plugins/portal) */
export interface NoticeItem {
  id: string;
  type: string;
  title: string;
  tenantCode: string;
  tenantName: Localized;
  unitName: string | null;
  publishedAt: string;
  updatedAt: string;
}

export interface NoticeDetail extends NoticeItem {
  /** the workflow that published it: its forms name the fields */
  workflowId: string;
  fields: Record<string, unknown>;
}

/** GET /api/workflows */
export interface WorkflowDef {
  id: string;
  plugin: string;
  title: Localized;
  description: Localized | null;
  version: number;
  initial: string;
  states: Array<{ name: string; title: Localized; terminal: boolean }>;
  start: { roles: string[]; form: string | null };
  transitions: Array<{ name: string; title: Localized; from: string | string[]; to: string; roles: string[]; form: string | null }>;
}

export interface Instance {
  id: string;
  workflowId: string;
  workflowVersion: number;
  plugin: string;
  tenantCode: string;
  ownerUnit: string | null;
  createdBy: string | null;
  state: string;
  stateTitle: Localized | null;
  terminal: boolean;
  data: Record<string, unknown>;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface HistoryEntry {
  seq: number;
  transition: string;
  from: string | null;
  to: string;
  actor: { id?: string; username?: string; tenant?: string; unit?: string | null; system?: boolean } | null;
  data?: Record<string, unknown> | null;
  at: string;
}

export interface InstanceDetail extends Instance {
  history: HistoryEntry[];
}

/** GET /api/instances/:id/transitions */
export interface AvailableTransition {
  name: string;
  title: Localized;
  to: string;
  form: string | null;
  guard: { message: Localized } | null;
}

/** GET /api/forms/:id */
export interface FormDoc {
  formId: string;
  version: number;
  tenant: string | null;
  title: Localized | string;
  schema: Record<string, unknown>;
  uiSchema: Record<string, unknown>;
}

/** An inbox item, listed and pushed alike */
export interface InboxItem {
  id: number;
  kind: string;
  title: Localized;
  link: string | null;
  tenantCode: string;
  instanceId: string | null;
  createdAt: string;
  read: boolean;
  readAt: string | null;
}

/** GET /api/supervision/projects (plugins/supervision) */
export interface ProjectItem {
  id: string;
  name: string;
  tenantCode: string;
  unitCode: string | null;
  unitName: string | null;
  stage: string;
  stageTitle: Localized;
  budget: string | null;
  channel: string | null;
  updatedAt: string;
}

export interface ProjectStage {
  stage: string;
  workflowId: string | null;
  instanceId: string | null;
  state: string | null;
  stateTitle: Localized | null;
  history: Array<{ seq: number; transition: string; from: string | null; to: string; actor: HistoryEntry["actor"] | string | null; at: string }>;
}

export interface ProjectDetail extends ProjectItem {
  stages: ProjectStage[];
  flags: Array<{ kind: string; title: Localized; at: string }>;
  /** where the contract's payments must go (supervision.payment-locks: a lender under contract financing) */
  paymentLocks?: Array<{ rule: string; message: Localized; account: string; holder: string; amount?: string | null; until?: string | null }>;
  /** records.retention: once the procurement has ended, the day until which its files are kept at least */
  retention?: { endedOn: string; retainUntil: string; rule: string } | null;
}

/** GET /api/accounts */
/** `GET /api/roles`: the platform's roles, core's and those its plugins declare, with their labels. */
export interface RoleView {
  name: string;
  title: Localized;
  plugin: string | null;
  oversees: boolean;
}

export interface AccountView extends UserView {
  status: string;
  passwordKind: string;
  mustChangePassword: boolean;
  passwordExpiresAt: string | null;
  version: number;
}

export interface PluginInfo {
  name: string;
  title: Localized;
  version: string;
  nodes: string[];
}

/** GET /api/events/dead-letters: an event a subscriber could not handle after its retries */
export interface DeadLetter {
  id: string;
  consumer: string;
  event: string;
  eventId: string;
  key: string | null;
  eventAt: string;
  payload: unknown;
  error: string;
  attempts: number;
  failedAt: string;
  replayedAt: string | null;
}
