import type { Locator } from "playwright-core";

/**
 * Waiting assertions on what a page shows (playwright-core has no `expect` of its own): each polls
 * until it holds or its time is up, then fails saying what it waited for and what it last saw.
 */
async function poll<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout;
  let last: T | string = "(nothing read)";
  for (;;) {
    try {
      last = await read();
      if (ok(last as T)) return;
    } catch (err) {
      last = `(error: ${(err as Error).message.split("\n")[0]})`;
    }
    if (Date.now() > deadline) throw new Error(`expected ${what} within ${timeout / 1000} s; last seen: ${String(JSON.stringify(last)).slice(0, 800)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const matches = (text: string, want: string | RegExp) => (typeof want === "string" ? text.includes(want) : want.test(text));
const textOf = async (loc: Locator) => (await loc.allInnerTexts()).join("\n");

export function see(loc: Locator) {
  const name = loc.toString();
  return {
    toContainText: (want: string | RegExp, o: { timeout?: number } = {}) => poll(`${name} to contain ${want}`, () => textOf(loc), (t) => matches(t, want), o.timeout),
    toHaveText: (want: string, o: { timeout?: number } = {}) => poll(`${name} to read "${want}"`, async () => (await loc.first().innerText()).trim(), (t) => t === want, o.timeout),
    toHaveValue: (want: string) => poll(`${name} to have the value "${want}"`, () => loc.inputValue(), (v) => v === want),
    toHaveCount: (n: number, o: { timeout?: number } = {}) => poll(`${name} ${n} times`, () => loc.count(), (c) => c === n, o.timeout),
    toBeFocused: () => poll(`${name} to have the focus`, () => loc.first().evaluate((el) => el === (el as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement), (f) => f),
    toBeVisible: () => poll(`${name} to be visible`, () => loc.first().isVisible(), (v) => v),
    toBeHidden: () => poll(`${name} to be hidden`, () => loc.first().isVisible(), (v) => !v),
    not: {
      toContainText: (want: string | RegExp) => poll(`${name} not to contain ${want}`, () => textOf(loc), (t) => !matches(t, want)),
    },
  };
}
