/**
 * The helpdesk's live side in the browser: a socket that joins one helpdesk room (a chat, or an
 * agent's queue: core/gateway "Plugin rooms") and the recent errors this tab met, which a hand-over
 * sends to the agent as context.
 */
import { io } from "socket.io-client";
import { session } from "../auth/session";
import { currentLang } from "../i18n";

export interface ChatMessage {
  id: number;
  author: "user" | "agent" | "system";
  text: string;
  entryId: string | null;
  at: string;
}

export interface ChatView {
  id: string;
  status: "waiting" | "active" | "closed";
  tenantCode: string;
  visitor: boolean;
  agent: { id: string; name: string } | null;
  context: { role: string | null; city: string | null; page: string | null; errors: { message: string; code?: string; page?: string; at?: string }[]; user: { username: string } | null };
  rating: number | null;
  createdAt: string;
}

/**
 * Joins a helpdesk room and listens to its events; returns the cleanup. `onJoined` runs after each
 * (re)join: what happened while the socket was away is read again by the caller.
 */
export function helpdeskRoom(params: Record<string, unknown>, on: Record<string, (data: never) => void>, status: (connected: boolean, error?: string) => void, onJoined: () => void): () => void {
  const socket = io({
    path: "/socket.io/",
    transports: ["websocket", "polling"],
    forceNew: true,
    auth: (cb) => void session.token().then((token) => cb({ token, lang: currentLang() })),
  });
  socket.on("connect", () => {
    socket.emit("join", { action: "helpdesk.live.join", params }, (answer: { error?: { message: string } }) => {
      if (answer?.error) status(false, answer.error.message);
      else {
        status(true);
        onJoined();
      }
    });
  });
  socket.on("disconnect", () => status(false));
  for (const [event, fn] of Object.entries(on)) socket.on(event, fn as (data: unknown) => void);
  return () => void socket.close();
}

/** The last errors this tab met (scripts and failed promises), the newest last: what an agent asks first. */
const recent: { message: string; page: string; at: string }[] = [];
const remember = (message: string) => {
  recent.push({ message: message.slice(0, 300), page: window.location.pathname.slice(0, 200) || "/", at: new Date().toISOString() });
  if (recent.length > 10) recent.shift();
};
window.addEventListener("error", (e) => remember(String(e.message || "error")));
window.addEventListener("unhandledrejection", (e) => remember(String((e.reason as Error | undefined)?.message ?? e.reason ?? "rejected")));
export const recentErrors = () => recent.filter((e) => e.page.startsWith("/")).slice(-10);
