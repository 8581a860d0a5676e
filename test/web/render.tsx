import { act, type ReactNode } from "react";
import { createRoot, type Root } from "react-dom/client";
import { I18nProvider, type Lang } from "../../web/src/i18n";

/** Renders into a fresh element of the document, inside the app's language provider. */
export async function render(ui: ReactNode, lang: Lang = "zh-CN"): Promise<{ container: HTMLElement; root: Root; unmount(): Promise<void> }> {
  const container = document.createElement("div");
  document.body.appendChild(container);
  const root = createRoot(container);
  await act(async () => root.render(<I18nProvider initial={lang}>{ui}</I18nProvider>));
  return {
    container,
    root,
    async unmount() {
      await act(async () => root.unmount());
      container.remove();
    },
  };
}

export async function click(el: Element | null): Promise<void> {
  if (!el) throw new Error("nothing to click");
  await act(async () => {
    (el as HTMLElement).click();
  });
}

/** Types a value into an input as a person does: React sees an input event. */
export async function type(el: Element | null, value: string): Promise<void> {
  if (!el) throw new Error("nothing to type into");
  const input = el as HTMLInputElement;
  const proto = input instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : input instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
  await act(async () => {
    Object.getOwnPropertyDescriptor(proto, "value")!.set!.call(input, value);
    input.dispatchEvent(new Event(input instanceof HTMLSelectElement ? "change" : "input", { bubbles: true }));
  });
}

/** Lets pending promises (a rejected submit) settle inside act. */
export async function settle(): Promise<void> {
  await act(async () => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
  });
}
