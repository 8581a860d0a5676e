/**
 * Elder-friendly mode (适老化): larger text, stronger contrast, bigger targets (styles.css,
 * `html.elder`). Kept per person in this browser's localStorage under their account's id (and one
 * key for whoever is signed out): the platform has no per-user preference store on the server, and
 * the choice is about this person's eyes on this screen, as the language switch is.
 */
import { useEffect, useSyncExternalStore } from "react";
import { useSession } from "../auth/session";
import { useI18n } from "../i18n";

const PREFIX = "gdpc.elder";
export const elderKey = (accountId: string | null): string => (accountId ? `${PREFIX}.${accountId}` : PREFIX);

const listeners = new Set<() => void>();
const subscribe = (fn: () => void) => {
  listeners.add(fn);
  const onStorage = (e: StorageEvent) => e.key?.startsWith(PREFIX) && fn();
  window.addEventListener("storage", onStorage);
  return () => {
    listeners.delete(fn);
    window.removeEventListener("storage", onStorage);
  };
};

function read(key: string): boolean {
  try {
    // An account that never chose takes what was chosen before signing in (on the sign-in page, say):
    // the mode must not switch off under the person who just switched it on.
    const own = localStorage.getItem(key);
    return (own ?? localStorage.getItem(PREFIX)) === "1";
  } catch {
    return false;
  }
}

function write(key: string, on: boolean): void {
  try {
    localStorage.setItem(key, on ? "1" : "0");
  } catch {
    /* not kept: this visit still has it */
  }
  for (const fn of listeners) fn();
}

/** Whether the signed-in person (or the signed-out visitor) chose elder mode; kept on <html>. */
export function useElderMode(): [boolean, (on: boolean) => void] {
  const snap = useSession();
  const key = elderKey(snap.state?.user.id ?? null);
  const on = useSyncExternalStore(subscribe, () => read(key), () => false);
  useEffect(() => {
    document.documentElement.classList.toggle("elder", on);
  }, [on]);
  return [on, (next) => write(key, next)];
}

/** The header's switch: a toggle button that says its state (aria-pressed), not a colour. */
export function ElderSwitch() {
  const { t } = useI18n();
  const [on, set] = useElderMode();
  return (
    <button type="button" className="elder-switch" aria-pressed={on} onClick={() => set(!on)} title={t("elder.hint")}>
      {t("elder.switch")}
    </button>
  );
}
