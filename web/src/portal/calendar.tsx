import { useI18n, type MessageKey } from "../i18n";
import { Link, useRouter, withQuery } from "../router";
import { ErrorNotice, Loading, PageTitle } from "../ui/parts";
import { ModuleMatrix, StateLegend, TimelineView, UpcomingChanges, useModules } from "./rollout";
import { flatten, useTenantTree } from "./tenants";

/** The public rollout calendar: what is live where today, what opens when, and one module's story in one region. */
export function CalendarPage() {
  const { t, pick } = useI18n();
  const { location } = useRouter();
  const tree = useTenantTree();
  const tenants = flatten(tree.data);
  const loaded = useModules(tenants);
  const tenant = location.query.get("tenant");
  const module = location.query.get("module");
  const name = (code: string) => {
    const tn = tenants.find((x) => x.code === code);
    return tn ? pick(tn.name) : code;
  };
  return (
    <div>
      <PageTitle sub={t("calendar.sub")}>{t("calendar.title")}</PageTitle>
      {tree.error ? <ErrorNotice error={tree.error} /> : null}
      {tree.loading && !tree.data ? <Loading /> : null}
      <StateLegend />
      {tenant && module ? (
        <section className="panel" aria-labelledby="timeline-title">
          <h2 id="timeline-title">
            {name(tenant)} · {module}
          </h2>
          <TimelineView code={tenant} module={module} tenantName={name} />
          <Link to={withQuery(location, { tenant: null, module: null })}>{t("calendar.close")}</Link>
        </section>
      ) : null}
      {tenants.length ? (
        <ModuleMatrix tenants={tenants} loaded={loaded} caption={t("calendar.caption")} cellLink={(code, m) => withQuery(location, { tenant: code, module: m })} />
      ) : null}
      <UpcomingChanges loaded={loaded} />
    </div>
  );
}

const GUIDES: Array<{ id: string; title: MessageKey; body: MessageKey[] }> = [
  { id: "first-sign-in", title: "guide.signIn.title", body: ["guide.signIn.1", "guide.signIn.2", "guide.signIn.3"] },
  { id: "lifecycle", title: "guide.lifecycle.title", body: ["guide.lifecycle.1", "guide.lifecycle.2", "guide.lifecycle.3"] },
  { id: "rollout", title: "guide.rollout.title", body: ["guide.rollout.1", "guide.rollout.2"] },
  { id: "forms", title: "guide.forms.title", body: ["guide.forms.1", "guide.forms.2"] },
  { id: "access", title: "guide.access.title", body: ["guide.access.1", "guide.access.2"] },
];

export function GuidesPage() {
  const { t } = useI18n();
  return (
    <div className="guides">
      <PageTitle sub={t("guide.sub")}>{t("guide.title")}</PageTitle>
      <nav aria-label={t("guide.contents")}>
        <ol className="toc">
          {GUIDES.map((g) => (
            <li key={g.id}>
              <a href={`#${g.id}`}>{t(g.title)}</a>
            </li>
          ))}
        </ol>
      </nav>
      {GUIDES.map((g) => (
        <section key={g.id} id={g.id} aria-labelledby={`${g.id}-h`}>
          <h2 id={`${g.id}-h`}>{t(g.title)}</h2>
          {g.body.map((k) => (
            <p key={k}>{t(k)}</p>
          ))}
        </section>
      ))}
    </div>
  );
}
