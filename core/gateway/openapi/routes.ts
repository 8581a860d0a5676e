import type { Kernel } from "../../kernel";
import type { PlatformActionSchema, PlatformServiceSchema } from "../../plugins/types";

/** One action that declares `rest`, where the gateway routes it. */
export interface RestRoute {
  method: string;
  /** under /api, in moleculer-web's form: "/registries/purchasers/:id" */
  path: string;
  /** what the alias calls: "<service>.<action>" */
  action: string;
  service: string;
  /** the plugin that declares it; none for the kernel's own services and the gateway's */
  plugin?: string;
  schema: PlatformActionSchema;
}

/**
 * Every REST action the gateway routes, in routing order: the gateway's own, the kernel's
 * services (absolute paths: /tenants/...), then each plugin's under /<plugin>. The aliases and the
 * OpenAPI document are both made from this list, so neither can describe a route the other lacks.
 * Two actions on the same method and path stop start-up, naming both.
 */
export function restRoutes(kernel: Pick<Kernel, "registry" | "coreServices">, own: PlatformServiceSchema[] = []): RestRoute[] {
  const routes: RestRoute[] = [];
  const seen = new Map<string, string>();
  const add = (owner: string, prefix: string, svc: PlatformServiceSchema, plugin?: string) => {
    for (const [name, action] of Object.entries(svc.actions ?? {})) {
      if (!action.rest) continue;
      const [method, rel] = action.rest.split(" ");
      const routed = `${prefix}${rel === "/" && prefix ? "" : rel}`;
      const key = `${method} ${routed}`;
      if (seen.has(key)) throw new Error(`${owner}: services.${svc.name}.actions.${name}.rest: "${key}" is already routed to ${seen.get(key)}`);
      seen.set(key, `${svc.name}.${name}`);
      routes.push({ method, path: routed, action: `${svc.name}.${name}`, service: svc.name, plugin, schema: action });
    }
  };
  for (const svc of own) add("gateway", "", svc);
  for (const svc of kernel.coreServices) add("core", "", svc);
  for (const { manifest } of kernel.registry.plugins) {
    for (const svc of manifest.services) add(`plugin "${manifest.name}"`, `/${manifest.name}`, svc, manifest.name);
  }
  return routes;
}
