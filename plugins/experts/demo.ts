import type { DemoTools } from "../../core/sdk";

export async function expertsDemo(tools: DemoTools): Promise<void> {
  void tools;
}
