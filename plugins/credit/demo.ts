import type { DemoTools } from "../../core/sdk";

export async function creditDemo(d: DemoTools): Promise<void> {
  d.log("[demo] credit: nothing yet");
}
