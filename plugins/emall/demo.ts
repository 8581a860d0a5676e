import { type DemoTools, localDate } from "../../core/sdk";

const DAY = 86_400_000;
interface Offer { id: string; price: string; supplier: { code: string } }

/**
 * A Huizhou unit's office-equipment plan filed for the e-mall (huizhou.buyer) and its direct orders
 * in each state: awaiting the supplier, confirmed, accepted (payment due), paid and lapsed (placed
 * four days ago, never confirmed: its timer fires as the platform starts), a printers' framework agreement
 * with its call-offs, a designated garage's service orders, and a live auction. Each step on its day.
 */
export async function emallDemo(d: DemoTools): Promise<void> {
  const buyer = d.as("huizhou.buyer");
  const regulator = d.as("huizhou.regulator");
  const now = Date.now();
  const on = (daysAgo: number) => d.travelTo(new Date(`${localDate(new Date(now - daysAgo * DAY))}T10:00:00+08:00`));
  const start = (workflowId: string, data: unknown) => buyer<{ id: string; data: Record<string, unknown> }>("workflows.start", { workflowId, data });
  const take = (who: typeof buyer, id: string, name: string) => who("workflows.transition", { id, name });
  const unit = (await buyer<{ user: { unitCode: string } }>("auth.me")).user.unitCode;

  on(45);
  const intention = await start("supervision.intention", { projectName: "惠州市办公设备电子卖场采购（2021年度）", summary: "台式计算机与激光打印机，电子卖场直接订购", budget: "300000.00", expectedMonth: localDate(new Date(now - 8 * DAY)).slice(0, 7) });
  await take(buyer, intention.id, "publish");
  const projectId = intention.data.projectId as string;
  on(10);
  const items = [
    { category: "A02010104", name: "台式计算机", quantity: 40, unit: "台", unitPrice: "5000.00", amount: "200000.00" },
    { category: "A0201060101", name: "激光打印机", quantity: 20, unit: "台", unitPrice: "2000.00", amount: "40000.00" },
    { category: "C23120301", name: "公务车辆定点维修保养", quantity: 1, unit: "年", unitPrice: "20000.00", amount: "20000.00" },
  ];
  const plan = await start("supervision.plan", { projectId, budgetCode: unit, fundsSource: "current-year-quota", method: "emall-direct", items, total: "260000.00", smeShare: 40 });
  await take(buyer, plan.id, "submit");
  on(9);
  await take(regulator, plan.id, "file");
  await buyer("workflows.transition", { id: plan.id, name: "choose-channel", data: { channel: "emall" } });

  const cheapest = async (category: string) => (await buyer<{ items: Offer[] }>("commodities.search", { category, region: "441300", pageSize: "5", facets: "0" })).items;
  const pcs = await cheapest("A02010104");
  const printers = await cheapest("A0201060101");
  const order = (offer: Offer, quantity: number, line: number) => start("emall.order", {
    projectId, planLine: line, lines: [{ offerId: offer.id, quantity }],
    consignee: { name: "李主任", phone: "0752-2282001", address: "惠州市惠城区江北文明一路8号" },
    invoice: { kind: "normal", title: "惠州市采购单位", taxId: unit },
  });
  const accounts = new Map<string, string>();
  for (const who of ["huizhou.supplier", "huizhou.supplier2"]) accounts.set((await d.as(who)<{ user: { unitCode: string } }>("auth.me")).user.unitCode, who);
  const supplierOf = (o: Offer) => d.as(accounts.get(o.supplier.code)!);

  on(8);
  const paid = await order(pcs[0], 2, 0);
  await take(supplierOf(pcs[0]), paid.id, "confirm");
  on(6);
  await take(buyer, paid.id, "accept");
  on(2);
  await take(buyer, paid.id, "pay");
  on(6);
  const accepted = await order(printers[0], 2, 1);
  await take(supplierOf(printers[0]), accepted.id, "confirm");
  on(3);
  await take(buyer, accepted.id, "accept");
  on(4);
  await order(pcs[1] ?? pcs[0], 1, 0); // never confirmed: lapses
  on(1);
  const confirmed = await order(pcs[0], 3, 0);
  await take(supplierOf(pcs[0]), confirmed.id, "confirm");
  on(0);
  await order(printers[1] ?? printers[0], 1, 1);
  // a closed framework agreement for printers (its first stage run as a public tender: three qualified,
  // two admitted), signed and in force, with a direct call-off confirmed and a rotation call-off placed
  const admin = d.as("huizhou.admin");
  const codes = [...accounts.keys()];
  const third = (await d.as("huizhou.supplier3")<{ user: { unitCode: string } }>("auth.me")).user.unitCode;
  const day = (daysAgo: number) => localDate(new Date(now - daysAgo * DAY));
  on(20);
  const framework = await admin<{ id: string }>("emall.frameworks.create", {
    kind: "closed", title: "惠州市2021年度激光打印机框架协议", categoryCode: "A0201060101", subject: "goods", maxUnitPrice: "2300.00", channel: "electronic",
    startsOn: day(20), endsOn: day(-300), signedOn: day(24),
    firstStage: {
      callNoticeOn: day(60), responsesDueOn: day(38), admissionNoticeOn: day(30),
      responses: [...codes, third].map((code, i) => ({ supplierCode: code, unitPrice: (2150 + i * 40).toFixed(2), qualified: true })),
      admitted: codes,
    },
  });
  const callOff = (method: string, supplierCode?: string) => start("emall.calloff", {
    frameworkId: framework.id, projectId, planLine: 1, method, ...(supplierCode ? { supplierCode } : {}), quantity: 2,
    consignee: { name: "李主任", phone: "0752-2282001", address: "惠州市惠城区江北文明一路8号" },
    invoice: { kind: "normal", title: "惠州市采购单位", taxId: unit },
  });
  on(5);
  const direct = await callOff("direct", codes[0]);
  await take(d.as(accounts.get(codes[0])!), direct.id, "confirm");
  on(0);
  await callOff("rotation");

  // the unit's designated garage (huizhou.supplier3, a designated point): two services recorded, the first confirmed
  const points = await buyer<{ items: Array<{ code: string; offers: Offer[] }> }>("commodities.designatedPoints", { category: "C2312" });
  const garage = points.items[0];
  const serviceOrder = (servedOn: string, description: string, amount: string) => start("emall.designated", {
    projectId, planLine: 2, offerId: garage.offers[0].id, servedOn, description, amount, invoice: { kind: "normal", title: "惠州市采购单位", taxId: unit },
  });
  on(4);
  const serviced = await serviceOrder(day(5), "粤L·A1234 公务车二级保养，更换机油及滤芯", "860.00");
  await take(d.as("huizhou.supplier3"), serviced.id, "confirm");
  on(0);
  await serviceOrder(day(1), "粤L·B5678 更换前刹车片", "1240.50");

  // a live reverse auction on the computers' line, ending in two days, two suppliers already quoting
  const auction = await start("emall.auction", {
    projectId, planLine: 0, title: "惠州市台式计算机网上竞价", requirements: "国产CPU，内存不少于8GB，固态硬盘不少于256GB，三年上门保修，送货至惠城区",
    categoryCode: "A02010104", quantity: 8, maxUnitPrice: "5000.00", endsAt: new Date(now + 2 * DAY).toISOString(),
  });
  // huizhou.supplier and huizhou.supplier2 share a legal representative in credit's demo registrations
  // (supplier.relatedParties): the second bidder is an unrelated dealer, admitted here with its offers
  const dealer = d.as("huizhou.dealer");
  const { supplierCode: dealerCode } = await dealer<{ supplierCode: string }>("commodities.apply", { role: "dealer", licences: [{ kind: "营业执照", number: "91441300DEMO6", expiresOn: "2030-12-31" }] });
  await d.as(d.admin)("commodities.review", { code: dealerCode, decision: "admitted", note: "资料齐全" });
  const dealerOffer = await dealer<Offer>("commodities.offer", { productId: (pcs[0] as Offer & { productId: string }).productId, price: (Number(pcs[0].price) * 1.02).toFixed(2), stock: 40, regions: ["441300"], deliveryDays: 5, warrantyMonths: 36 });
  const quotes: Array<[typeof buyer, string]> = [[supplierOf(pcs[0]), pcs[0].id], [dealer, dealerOffer.id]];
  for (const [i, [who, offerId]] of quotes.entries()) await who("emall.auctions.quote", { id: auction.id, offerId, unitPrice: (4800 - i * 60).toFixed(2) });
  d.log("[demo] emall: a Huizhou plan filed for the e-mall, orders placed, confirmed, accepted, paid and lapsed, a framework agreement with two call-offs, a designated garage's service orders, and a live reverse auction");
}
