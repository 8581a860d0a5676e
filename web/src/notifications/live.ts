/**
 * The notification inbox in the browser: the newest items and the unread count from the API, new
 * ones as they arrive over socket.io (core/gateway/sockets.ts), and what was missed while the
 * connection was down: each (re)connection says the newest id seen, the server sends what came
 * after, and the rest is paged from /api/notifications?after= when the server says it did not fit.
 */
import { io, type Socket } from "socket.io-client";
import { useSyncExternalStore } from "react";
import { api, query } from "../api/client";
import type { InboxItem, Instance, Page } from "../api/types";
import { currentLang } from "../i18n";
import { session } from "../auth/session";

export interface InboxSnapshot {
  items: InboxItem[];
  unread: number;
  connected: boolean;
  /** the newest item that arrived live, for the page to announce */
  arrived: InboxItem | null;
  /** what each instance an item points to is about (its project's name), by instance id */
  subjects: Record<string, string>;
}

/** What an instance is about, in the words its data has for it; "" when it has none. */
export function subjectOf(data: Record<string, unknown>): string {
  for (const key of ["projectName", "name", "title"]) if (typeof data[key] === "string" && data[key]) return data[key] as string;
  return "";
}

/**
 * Handled: the instance moved on after the notification was written (someone acted on the task it
 * announced, here or elsewhere). Instants from one database clock, compared as instants.
 */
export const handledSince = (item: Pick<InboxItem, "createdAt">, instance: Pick<Instance, "updatedAt">): boolean =>
  Date.parse(instance.updatedAt) > Date.parse(item.createdAt);

/**
 * The instances items point to, those the caller may read, looked up a page of ids per request
 * (`GET /api/instances?ids=`) rather than one request per item; an id the caller may not read
 * (or that does not exist) is simply absent.
 */
export async function instancesByIds(ids: string[], signal?: AbortSignal): Promise<Map<string, Instance>> {
  const found = new Map<string, Instance>();
  for (let i = 0; i < ids.length; i += 100) {
    const chunk = ids.slice(i, i + 100);
    const page = await api.get<Page<Instance>>(`/instances${query({ ids: chunk.join(","), pageSize: 100 })}`, { signal });
    for (const instance of page.items) found.set(instance.id, instance);
  }
  return found;
}

const KEEP = 50;

/** Newest first, one per id: what is kept after merging arrivals into the list. */
export function mergeItems(list: InboxItem[], incoming: InboxItem[], keep = KEEP): InboxItem[] {
  const byId = new Map<number, InboxItem>();
  for (const it of list) byId.set(it.id, it);
  for (const it of incoming) byId.set(it.id, { ...byId.get(it.id), ...it });
  return [...byId.values()].sort((a, b) => b.id - a.id).slice(0, keep);
}

export class LiveInbox {
  private snap: InboxSnapshot = { items: [], unread: 0, connected: false, arrived: null, subjects: {} };
  /** instances being looked up, so that one look-up serves every item about them */
  private looking = new Set<string>();
  private readonly listeners = new Set<() => void>();
  private socket: Socket | null = null;
  private account: string | null = null;
  /** the newest id this browser has seen: what a reconnection catches up from */
  private lastId = 0;
  private readonly instanceListeners = new Set<(item: InboxItem) => void>();

  subscribe = (fn: () => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };
  get = () => this.snap;

  private update(patch: Partial<InboxSnapshot>) {
    this.snap = { ...this.snap, ...patch };
    for (const fn of this.listeners) fn();
  }

  /** Told of every arrival (a page showing an instance reloads when it is about that instance). */
  onArrival(fn: (item: InboxItem) => void): () => void {
    this.instanceListeners.add(fn);
    return () => this.instanceListeners.delete(fn);
  }

  private take(items: InboxItem[], live: boolean) {
    if (!items.length) return;
    const fresh = items.filter((it) => it.id > this.lastId);
    this.lastId = Math.max(this.lastId, ...items.map((it) => it.id));
    const merged = mergeItems(this.snap.items, items);
    const newest = fresh.length ? fresh[fresh.length - 1] : null;
    this.update({ items: merged, unread: this.snap.unread + fresh.filter((it) => !it.read).length, ...(live && newest ? { arrived: newest } : {}) });
    if (live) for (const it of fresh) for (const fn of this.instanceListeners) fn(it);
    void this.review();
  }

  /** Starts (or keeps) the inbox of the signed-in account; stops it on sign-out. */
  async start(accountId: string | null): Promise<void> {
    if (accountId === this.account) return;
    this.stop();
    this.account = accountId;
    if (!accountId) return;
    try {
      const first = await api.get<Page<InboxItem> & { unread: number }>(`/notifications${query({ pageSize: 20 })}`);
      if (this.account !== accountId) return;
      this.lastId = first.items.reduce((m, it) => Math.max(m, it.id), 0);
      this.update({ items: mergeItems([], first.items), unread: first.unread });
      void this.review();
    } catch {
      /* the socket's catch-up and `ready` fill it in */
    }
    if (this.account !== accountId) return;
    this.connect();
  }

  private connect() {
    const socket = io({
      path: "/socket.io/",
      transports: ["websocket", "polling"],
      // Asked at every (re)connection: the current token and the newest id seen.
      auth: (cb) => {
        void session.token().then((token) => cb({ token, lastId: this.lastId || undefined, lang: currentLang() }));
      },
    });
    this.socket = socket;
    socket.on("connect", () => this.update({ connected: true }));
    socket.on("disconnect", () => this.update({ connected: false }));
    socket.on("notifications", (list: InboxItem[]) => this.take(list, true));
    socket.on("ready", (r: { lastId?: number; caughtUp?: number; complete?: boolean; unread?: number }) => {
      if (typeof r.unread === "number") this.update({ unread: r.unread });
      if (r.complete === false) void this.pageAfter();
    });
    socket.on("read", (r: { ids?: number[]; unread?: number }) => {
      const ids = new Set(r.ids ?? []);
      this.update({ items: this.snap.items.map((it) => (ids.has(it.id) ? { ...it, read: true } : it)), unread: r.unread ?? this.snap.unread });
    });
    socket.on("session-ended", (r: { reason?: string }) => {
      // expired: renew the token and come back; revoked: the session is over
      if (r.reason === "expired") void session.renew().then((ok) => ok && socket.connect());
      else session.clear("expired");
    });
    socket.on("connect_error", (err: Error & { data?: { status?: number } }) => {
      if (err.message === "UNAUTHENTICATED") void session.renew().then((ok) => ok && socket.connect());
    });
  }

  /** More was missed than the socket sends: the rest, oldest first, from the API. */
  private async pageAfter() {
    for (let guard = 0; guard < 50; guard++) {
      const page = await api.get<Page<InboxItem>>(`/notifications${query({ after: this.lastId, pageSize: 100 })}`).catch(() => null);
      if (!page || !page.items.length) return;
      this.take(page.items, false);
      if (page.items.length < 100) return;
    }
  }

  /**
   * Looks up the instances the unread items point to (a few at a time): their subject for the bell
   * to name, and whether each was handled since; handled ones are marked read, on every device.
   * `fresh`: look again even at instances already seen (the bell was opened: they may have moved on).
   */
  async review(fresh = false): Promise<void> {
    const account = this.account;
    const unread = this.snap.items.filter((it) => !it.read && it.instanceId);
    const ids = [...new Set(unread.map((it) => it.instanceId!))].filter((id) => !this.looking.has(id) && (fresh || !(id in this.snap.subjects)));
    if (!ids.length) return;
    for (const id of ids) this.looking.add(id);
    try {
      const found = await instancesByIds(ids).catch(() => null);
      if (this.account !== account || !found) return;
      const subjects = { ...this.snap.subjects };
      const handled: number[] = [];
      for (const id of ids) {
        const instance = found.get(id);
        subjects[id] = instance ? subjectOf(instance.data) : "";
        if (instance) for (const it of unread) if (it.instanceId === id && handledSince(it, instance)) handled.push(it.id);
      }
      this.update({ subjects });
      if (handled.length) await this.markRead(handled);
    } finally {
      for (const id of ids) this.looking.delete(id);
    }
  }

  async markRead(ids: number[]): Promise<void> {
    if (!ids.length) return;
    const r = await api.post<{ read: number; unread: number }>("/notifications/read", { ids });
    const set = new Set(ids);
    this.update({ items: this.snap.items.map((it) => (set.has(it.id) ? { ...it, read: true } : it)), unread: r.unread });
  }

  async markAllRead(): Promise<void> {
    const r = await api.post<{ read: number; unread: number }>("/notifications/read", { all: true, upTo: this.lastId || undefined });
    this.update({ items: this.snap.items.map((it) => ({ ...it, read: true })), unread: r.unread });
  }

  stop() {
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
    this.socket = null;
    this.account = null;
    this.lastId = 0;
    this.snap = { items: [], unread: 0, connected: false, arrived: null, subjects: {} };
    this.looking.clear();
    for (const fn of this.listeners) fn();
  }
}

export const inbox = new LiveInbox();

export function useInbox(): InboxSnapshot {
  return useSyncExternalStore(inbox.subscribe, inbox.get, inbox.get);
}
