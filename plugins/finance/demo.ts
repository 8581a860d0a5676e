import type { DemoTools } from "../../core/sdk";

export async function financeDemo(d: DemoTools): Promise<void> {
  d.log("[demo] finance: none yet");
}
