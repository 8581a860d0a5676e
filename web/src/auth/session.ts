/**
 * The signed-in session in the browser: tokens kept in localStorage (so a reload or a second tab
 * stays signed in), renewed before they expire, and one renewal at a time across tabs (each
 * refresh token works once: two tabs spending the same one would end the session).
 */
import { useSyncExternalStore } from "react";
import { createMongoAbility, subject, type AnyAbility } from "@casl/ability";
import { api, ApiError, useTokens } from "../api/client";
import type { Me, SignedIn, UserView } from "../api/types";

export interface SessionState {
  token: string;
  refreshToken: string;
  /** ms since the epoch, by this browser's clock */
  expiresAt: number;
  /** seconds the token was issued for (how early to renew) */
  ttl: number;
  user: UserView;
  mustChangePassword: boolean;
}

/** Why the user is on the sign-in page, for it to say. */
export type EndReason = "signed-out" | "expired" | "revoked" | null;

export interface Snapshot {
  state: SessionState | null;
  me: Me | null;
  ability: AnyAbility;
  ended: EndReason;
}

const KEY = "gdpc.session";
const LOCK = "gdpc.session.refresh";
const NOBODY: AnyAbility = createMongoAbility([]);

function readStored(): SessionState | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as SessionState;
    return typeof s?.token === "string" && typeof s.refreshToken === "string" && s.user ? s : null;
  } catch {
    return null;
  }
}

function writeStored(s: SessionState | null): void {
  try {
    if (s) localStorage.setItem(KEY, JSON.stringify(s));
    else localStorage.removeItem(KEY);
  } catch {
    /* not kept across reloads: this tab still works */
  }
}

const fromSignedIn = (r: SignedIn): SessionState => ({
  token: r.token,
  refreshToken: r.refreshToken,
  expiresAt: Date.now() + r.expiresIn * 1000,
  ttl: r.expiresIn,
  user: r.user,
  mustChangePassword: r.mustChangePassword,
});

/** How long before expiry to renew: a minute, or a quarter of a short token's life. */
export const renewLead = (ttlSeconds: number): number => Math.min(60_000, Math.max(1000, ttlSeconds * 250));

export class Session {
  private snap: Snapshot = { state: null, me: null, ability: NOBODY, ended: null };
  private readonly listeners = new Set<() => void>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private renewing: Promise<boolean> | null = null;

  constructor() {
    const stored = readStored();
    if (stored) this.snap = { ...this.snap, state: stored };
    this.schedule();
    if (typeof window !== "undefined") {
      // Another tab signed in, renewed or signed out.
      window.addEventListener("storage", (e) => {
        if (e.key !== KEY) return;
        const next = readStored();
        if (!next) this.clear("signed-out", false);
        else if (next.token !== this.snap.state?.token) {
          const userChanged = next.user.id !== this.snap.state?.user.id;
          this.update({ state: next, ...(userChanged ? { me: null, ability: NOBODY } : {}) });
          this.schedule();
        }
      });
      // Timers sleep with the tab: check on return.
      document.addEventListener("visibilitychange", () => {
        if (document.visibilityState === "visible") void this.token();
      });
    }
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  get = (): Snapshot => this.snap;

  private update(patch: Partial<Snapshot>): void {
    this.snap = { ...this.snap, ...patch };
    for (const fn of this.listeners) fn();
  }

  private set(state: SessionState, persist = true): void {
    if (persist) writeStored(state);
    const userChanged = state.user.id !== this.snap.state?.user.id;
    this.update({ state, ended: null, ...(userChanged ? { me: null, ability: NOBODY } : {}) });
    this.schedule();
  }

  /** Forget the session here (and, with persist, in every tab). */
  clear(reason: EndReason, persist = true): void {
    clearTimeout(this.timer);
    if (persist) writeStored(null);
    this.update({ state: null, me: null, ability: NOBODY, ended: reason });
  }

  private schedule(): void {
    clearTimeout(this.timer);
    const s = this.snap.state;
    if (!s) return;
    const wait = Math.max(0, s.expiresAt - renewLead(s.ttl) - Date.now());
    this.timer = setTimeout(() => void this.renew(), wait);
  }

  async login(username: string, password: string): Promise<SessionState> {
    const r = await api.post<SignedIn>("/auth/login", { username, password }, { auth: false });
    const state = fromSignedIn(r);
    this.set(state);
    if (!state.mustChangePassword) await this.loadMe().catch(() => undefined);
    return state;
  }

  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    const r = await api.post<SignedIn>("/auth/change-password", { currentPassword, newPassword });
    this.set(fromSignedIn(r));
    await this.loadMe().catch(() => undefined);
  }

  async logout(): Promise<void> {
    try {
      if (this.snap.state) await api.post("/auth/logout", {});
    } catch {
      /* signed out here whatever the server says: its session ends with its lifetime */
    }
    this.clear("signed-out");
  }

  async loadMe(): Promise<Me | null> {
    if (!this.snap.state || this.snap.state.mustChangePassword) return null;
    const me = await api.get<Me>("/me");
    this.update({ me, ability: createMongoAbility(me.rules as never[]) });
    return me;
  }

  /** The access token to send, renewed first when it is about to expire. */
  async token(): Promise<string | null> {
    const s = this.snap.state;
    if (!s) return null;
    if (s.expiresAt - Date.now() < Math.min(15_000, renewLead(s.ttl))) {
      await this.renew();
      return this.snap.state?.token ?? null;
    }
    return s.token;
  }

  /** Renews the token with the refresh token; false when the session is over (then signed out). */
  renew(): Promise<boolean> {
    if (!this.renewing) {
      const run = async (): Promise<boolean> => {
        // Another tab may have renewed while this one waited for the lock: take its tokens.
        const stored = readStored();
        const mine = this.snap.state;
        if (!mine && !stored) return false;
        if (stored && stored.token !== mine?.token && stored.expiresAt - Date.now() > renewLead(stored.ttl)) {
          this.set(stored, false);
          return true;
        }
        const refreshToken = (stored ?? mine)!.refreshToken;
        try {
          const r = await api.post<SignedIn>("/auth/refresh", { refreshToken }, { auth: false });
          this.set(fromSignedIn(r));
          return true;
        } catch (err) {
          if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
            this.clear("expired");
            return false;
          }
          // The network or the server is down: keep the session and try again shortly.
          clearTimeout(this.timer);
          this.timer = setTimeout(() => void this.renew(), 10_000);
          return false;
        }
      };
      const locks = typeof navigator !== "undefined" ? (navigator as Navigator & { locks?: LockManager }).locks : undefined;
      const pending: Promise<boolean> = locks ? (locks.request(LOCK, run) as unknown as Promise<boolean>) : run();
      this.renewing = pending.finally(() => {
        this.renewing = null;
      });
    }
    return this.renewing!;
  }

  /** Whether the signed-in user may do this (CASL rules from /api/me), optionally on a subject's fields. */
  can(action: string, type: string, fields?: Record<string, unknown>): boolean {
    return fields ? this.snap.ability.can(action, subject(type, { ...fields })) : this.snap.ability.can(action, type);
  }

  hasRole(...roles: string[]): boolean {
    const mine = this.snap.state?.user.roles ?? [];
    return roles.some((r) => mine.includes(r));
  }
}

export const session = new Session();
useTokens({ token: () => session.token(), renew: () => session.renew() });

export function useSession(): Snapshot {
  return useSyncExternalStore(session.subscribe, session.get, session.get);
}
