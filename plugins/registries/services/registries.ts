import type { ModelClass } from "objection";
import { registryService, type CodedRecord, type CodedRegistry } from "./coded-registry";
import { PURCHASERS } from "./purchaser-model";
import { SUPPLIERS } from "./supplier-model";
import { AGENCIES } from "./agency-model";

/** The registries this plugin keeps, each a configuration of the one implementation (coded-registry.ts). */
export const registryServices = [registryService(PURCHASERS), registryService(SUPPLIERS), registryService(AGENCIES)];

/** What the unit lookup needs of each: its model, its code, its tenant. */
export const REGISTRIES: ReadonlyArray<Pick<CodedRegistry<CodedRecord>, "code" | "tenant"> & { model: ModelClass<CodedRecord> }> = [PURCHASERS, SUPPLIERS, AGENCIES] as never;
