import {
  conflict, fieldError, money, prepared, type SessionUser, toMoney, validationFailed, type WorkflowHooks,
} from "../../../core/sdk";
import RULES from "../statutory-rules.json";
import { type OfferForOrder, orderHooks, planItems, type ProjectView, spentOn } from "./orders";

/**
 * Designated points (定点采购: vehicle repair, insurance, fuel, printing, conferences): a unit picks one
 * of the designated-point suppliers serving its region (GET /api/commodities/designated-points) and
 * records each service it had, at the amount billed, within the plan line's remaining budget. Then
 * the direct order's own steps: the supplier confirms (the contract), the unit accepts and pays.
 */
export const designatedHooks: WorkflowHooks = {
  start: prepared({
    async prepare(step) {
      if (!step.call) throw new Error("a service order is recorded by a user");
      const project = await step.call<ProjectView>("supervision.get", { id: step.result.projectId }).catch((err) => {
        if ((err as { type?: string }).type !== "NOT_FOUND") throw err;
        throw validationFailed([fieldError("/projectId", "project", "没有这个采购项目，或您无权查看", "No such procurement project, or not yours to see")]);
      });
      const { items } = await step.call<{ items: Array<OfferForOrder & { role: string | null; categoryCode: string }> }>("commodities.forOrder", { ids: [step.result.offerId] });
      return { project, offer: items[0] };
    },
    async apply(step, { project, offer }) {
      const user = step.user as SessionUser;
      const d = step.result as { planLine: number; offerId: string; servedOn: string; description: string; amount: string };
      if (project.stage !== "execution" || project.channel !== "emall") {
        throw validationFailed([fieldError("/projectId", "plan-filed", "该项目的采购计划尚未备案，或未选择电子卖场执行", "The project's plan is not filed, or is not executed on the e-mall")]);
      }
      const item = planItems(project)[d.planLine];
      if (!item) throw validationFailed([fieldError("/planLine", "plan-line", "计划中没有这一明细行", "The plan has no such line")]);
      // a designated point of the unit's region, for a service it offers there
      if (!offer || offer.role !== "designated-point" || offer.status !== "active" || !offer.categoryCode.startsWith("C") || !(offer.regions.includes(project.tenantCode) || offer.regions.includes(user.tenantCode))) {
        throw validationFailed([fieldError("/offerId", "designated-point", "应为本地区定点供应商的一项服务", "must be a service of a designated point serving your region")]);
      }
      if (!offer.mayTrade) throw conflict({ "zh-CN": "该定点供应商的资质证照已过期，暂停交易", en: "The designated point's licence has expired: it may not trade until renewed" }, { rule: "licence-expired", lapsed: offer.lapsedLicences });
      const total = toMoney(d.amount);
      const remaining = toMoney(money(toMoney(item.amount)).minus(await spentOn(step.trx, project.id, d.planLine)));
      if (money(total).greaterThan(remaining)) {
        throw validationFailed([fieldError("/amount", "plan-line-budget", `服务金额 ${total} 元超过计划明细“${item.name}”的剩余预算 ${remaining} 元`, `The ${total} yuan exceeds the remaining ${remaining} yuan of the plan line "${item.name}"`)]);
      }
      // a service is billed as done: nothing is taken from stock (the line names no offer to take from)
      const line = { offerId: null, serviceOfferId: offer.id, productId: offer.productId, productName: offer.productName, brand: offer.brand, model: offer.model, quantity: 1, unitPrice: total, amount: total, servedOn: d.servedOn, description: d.description };
      const confirmBy = new Date(step.now.getTime() + RULES.settings.confirmWithinDays.value * 86_400_000);
      await step.trx("emall_orders").insert({
        id: step.instanceId, tenant_code: project.tenantCode, unit_code: user.unitCode, unit_name: project.unitName, project_id: project.id, plan_line: d.planLine,
        supplier_code: offer.supplier.code, supplier_name: offer.supplier.name, total, lines: JSON.stringify([line]), status: "placed", kind: "designated", confirm_by: confirmBy, created_at: step.now, updated_at: step.now,
      });
      return {
        data: { supplierCode: offer.supplier.code, supplierName: offer.supplier.name, purchaserName: project.unitName, planLineName: item.name, items: [line], total, remainingAfter: toMoney(money(remaining).minus(total)), confirmBy: confirmBy.toISOString() },
        parties: [offer.supplier.code],
      };
    },
  }),
  transitions: orderHooks.transitions,
};
