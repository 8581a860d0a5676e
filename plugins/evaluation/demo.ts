import { type DemoTools, localDate, platformNow, workingDayOnOrAfter } from "../../core/sdk";

/** e-trading's opened and recorded Huizhou tender (plugins/etrading/demo.ts ⑦): its bidders leave huizhou.expert free of conflict. */
const TENDER_TITLE = "惠州市隧道照明智能控制系统采购";
/**
 * The Huizhou experts of specialities A or B available on a working day (plugins/experts/demo.ts): exactly
 * the five seats, so the draw takes all of them and the demo expert is on the committee whatever the seed.
 */
const COMMITTEE = ["huizhou.expert", "huizhou.expert.lighting", "huizhou.expert.roads", "huizhou.expert.it", "huizhou.expert.transport"];
const CRITERIA = [
  { id: "tech", title: "技术方案", titleEn: "Technical proposal", max: 50 },
  { id: "service", title: "商务与售后服务", titleEn: "Commercial terms and service", max: 20 },
];

interface EvalView {
  id: string;
  members: string[];
  bids: Array<{ bidId: string }>;
}

/**
 * One evaluation in progress for huizhou.expert: huizhou.agency draws the committee for tender ⑦ (the five
 * experts accept), starts a comprehensive evaluation and passes the three bids at the qualification review;
 * the committee elects huizhou.expert.lighting its chair, and the four other members have scored and submitted.
 * The demo expert's score sheet is open: its submission is the last, and makes the report.
 */
export async function evaluationDemo(d: DemoTools): Promise<void> {
  const agency = d.as("huizhou.agency");
  const tender = (await agency<{ items: Array<{ id: string; title: string; status: string }> }>("etrading.list", { q: TENDER_TITLE, mine: "1" })).items.find((t) => t.title === TENDER_TITLE);
  if (!tender || tender.status !== "opened") {
    d.log(`[demo] evaluation: e-trading's recorded tender "${TENDER_TITLE}" is not there; no evaluation seeded`);
    return;
  }
  const members = COMMITTEE.map((u) => ({ username: u, who: d.as(u) }));

  // the afternoon of the day the experts' demo draws for ③ in the morning (its invitations keep those experts busy
  // then), before the demo expert's unavailable day next week
  const slotDate = workingDayOnOrAfter(localDate(new Date(platformNow().getTime() + 3 * 86_400_000)));
  const drawing = await agency<{ id: string }>("workflows.start", {
    workflowId: "experts.drawing",
    data: { tenderId: tender.id, committeeSize: COMMITTEE.length, experts: COMMITTEE.length, specialities: ["A", "B"], region: "441300", slotDate, slot: "pm" },
  });
  await agency("workflows.transition", { id: drawing.id, name: "draw" });
  const accountOf = new Map<string, string>();
  for (const m of members) {
    const me = await m.who<{ invitations: Array<{ id: string; status: string; tenderId: string }> }>("experts.registry.me");
    const invitation = me.invitations.find((i) => i.tenderId === tender.id && i.status === "invited");
    if (!invitation) throw new Error(`${m.username} was not drawn for ${TENDER_TITLE}`);
    await m.who("experts.drawings.accept", { id: invitation.id });
    accountOf.set(m.username, (await m.who<{ user: { id: string } }>("auth.me")).user.id);
  }
  await agency("workflows.transition", { id: drawing.id, name: "complete" });

  // the evaluation: comprehensive scoring with price at 30 points (eval.priceWeight.goods), every bid qualified
  const started = await agency<EvalView>("evaluation.start", { tenderId: tender.id, method: "comprehensive", category: "goods", priceWeight: 30, criteria: CRITERIA });
  await agency("evaluation.qualify", { id: started.id, results: started.bids.map((b) => ({ bidId: b.bidId, passed: true })) });

  const chair = accountOf.get("huizhou.expert.lighting")!;
  for (const m of members.slice(0, 3)) await m.who("evaluation.voteChair", { id: started.id, candidate: chair });
  // the other four score as they would on the sheet, each its own marks, and submit
  for (const [n, m] of members.slice(1).entries()) {
    const scores = started.bids.flatMap((b, i) => CRITERIA.map((c) => ({ bidId: b.bidId, criterion: c.id, score: Math.round(c.max * (0.7 + 0.05 * ((i + n) % 4)) * 100) / 100 })));
    await m.who("evaluation.score", { id: started.id, scores });
    await m.who("evaluation.submit", { id: started.id });
  }
  d.log(`[demo] evaluation: "${TENDER_TITLE}" drawn for ${slotDate} (${COMMITTEE.length} experts accepted), chair elected, 4 of 5 members submitted; huizhou.expert's score sheet at /evaluation/evaluations/${started.id}`);
}
