/**
 * A small history router: paths like /instances/:id, links that behave as links (middle-click,
 * ctrl-click open a tab), back and forward. The gateway answers index.html for any page path, so a
 * reload or a link in a notification lands on the right page.
 */
import { createContext, useContext, useEffect, useMemo, useState, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from "react";

export interface Location {
  path: string;
  query: URLSearchParams;
  /** path + search, for "come back here after signing in" */
  href: string;
}

const read = (): Location => ({
  path: window.location.pathname,
  query: new URLSearchParams(window.location.search),
  href: window.location.pathname + window.location.search,
});

interface RouterValue {
  location: Location;
  navigate(to: string, opts?: { replace?: boolean }): void;
}

const RouterContext = createContext<RouterValue | null>(null);
const listeners = new Set<() => void>();
let moves = 0;

/** Whether the person has moved within the app since it loaded (not the first page of a visit). */
export const hasNavigated = (): boolean => moves > 0;

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === window.location.pathname + window.location.search) return;
  if (opts.replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  moves++;
  for (const fn of listeners) fn();
}

export function RouterProvider({ children }: { children: ReactNode }) {
  const [location, setLocation] = useState<Location>(read);
  useEffect(() => {
    const update = () => setLocation((prev) => (prev.href === window.location.pathname + window.location.search ? prev : read()));
    const back = () => {
      moves++;
      update();
    };
    listeners.add(update);
    window.addEventListener("popstate", back);
    // Children's effects run before this one: a guard that sent a deep link signed out to /login
    // on the first render moved the address before anyone listened.
    update();
    return () => {
      listeners.delete(update);
      window.removeEventListener("popstate", back);
    };
  }, []);
  const value = useMemo(() => ({ location, navigate }), [location]);
  return <RouterContext.Provider value={value}>{children}</RouterContext.Provider>;
}

export function useRouter(): RouterValue {
  const ctx = useContext(RouterContext);
  if (!ctx) throw new Error("useRouter outside <RouterProvider>");
  return ctx;
}

/** `/instances/:id` against `/instances/42` → `{ id: "42" }`; null when it does not match. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const a = pattern.split("/").filter(Boolean);
  const b = path.split("/").filter(Boolean);
  if (a.length !== b.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < a.length; i++) {
    if (a[i].startsWith(":")) {
      try {
        params[a[i].slice(1)] = decodeURIComponent(b[i]);
      } catch {
        return null;
      }
    } else if (a[i] !== b[i]) return null;
  }
  return params;
}

type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & { to: string; replace?: boolean };

export function Link({ to, replace, onClick, children, ...rest }: LinkProps) {
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to, { replace });
  };
  return (
    <a href={to} onClick={handle} {...rest}>
      {children}
    </a>
  );
}

/** A query string with one or more parameters changed (null or "" removes one), for filter links. */
export function withQuery(location: Location, changes: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams(location.query);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined || v === "") q.delete(k);
    else q.set(k, String(v));
  }
  const s = q.toString();
  return location.path + (s ? `?${s}` : "");
}
