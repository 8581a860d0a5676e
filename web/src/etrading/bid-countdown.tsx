import { useCallback, useEffect, useRef, useState } from "react";
import { chinaDateTime, useI18n } from "../i18n";

/**
 * Time left to a deadline by the server's clock: the browser's clock may be minutes off, so the
 * offset between the two, measured when the page loaded the server's time, is added to it.
 */
export function useServerClock(serverTime: string | undefined): () => number {
  const [offset, setOffset] = useState(0);
  useEffect(() => {
    if (serverTime) setOffset(Date.parse(serverTime) - Date.now());
  }, [serverTime]);
  return useCallback(() => Date.now() + offset, [offset]);
}

const two = (n: number) => String(n).padStart(2, "0");

/** A countdown to the bid deadline (server time), a timer screen readers read when asked, not every second. */
export function BidCountdown({ deadline, serverTime, onPassed }: { deadline: string; serverTime: string; onPassed?: () => void }) {
  const { t } = useI18n();
  const now = useServerClock(serverTime);
  const [left, setLeft] = useState(() => Date.parse(deadline) - now());
  useEffect(() => {
    const tick = () => setLeft(Date.parse(deadline) - now());
    tick();
    const id = setInterval(tick, 1000);
    return () => clearInterval(id);
  }, [deadline, now]);
  const passed = left <= 0;
  const passedRef = useRef(onPassed);
  passedRef.current = onPassed;
  useEffect(() => {
    if (passed) passedRef.current?.();
  }, [passed]);
  const s = Math.max(0, Math.floor(left / 1000));
  const d = Math.floor(s / 86400);
  const text = passed
    ? t("bid.countdown.passed")
    : t("bid.countdown.left", { days: d, time: `${two(Math.floor((s % 86400) / 3600))}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}` });
  return (
    <div className={`notice ${passed ? "notice-warn" : "notice-info"}`}>
      <p>
        {t("bid.countdown.deadline", { at: chinaDateTime(deadline) })}
      </p>
      <p role="timer" aria-label={t("bid.countdown.label")}>
        <strong>{text}</strong>
      </p>
      <p className="notice-detail">{t("bid.countdown.serverTime")}</p>
    </div>
  );
}
