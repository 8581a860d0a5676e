import { lazy, Suspense, useEffect, useState, type ReactNode } from "react";
import { session, useSession } from "./auth/session";
import { LanguageSwitch, useI18n } from "./i18n";
import { Bell } from "./notifications/bell";
import { inbox } from "./notifications/live";
import { CalendarPage, GuidesPage } from "./portal/calendar";
import { NoticePage, NoticesPage } from "./portal/notices";
import { Link, matchPath, navigate, useRouter } from "./router";
import { expertsHome } from "./experts/home";
import { ElderSwitch } from "./ui/elder";
import { ErrorNotice, Loading, PageTitle } from "./ui/parts";

// The public pages come with the first load; forms (rjsf and its validator), the workspace and the
// console load when someone signs in.
const named = <K extends string>(load: () => Promise<Record<K, React.ComponentType<never>>>, name: K) =>
  lazy(() => load().then((m) => ({ default: m[name] as React.ComponentType<Record<string, string>> })));
import { HelpdeskChat } from "./helpdesk/chat";
import { PageHelpLink } from "./helpdesk/help-link";
const LoginPage = named(() => import("./auth/pages"), "LoginPage");
const HelpPage = named(() => import("./helpdesk/help"), "HelpPage");
const GuideListPage = named(() => import("./helpdesk/guides"), "GuideListPage");
const GuidePage = named(() => import("./helpdesk/guides"), "GuidePage");
const PageHelpPage = named(() => import("./helpdesk/guides"), "PageHelpPage");
const AgentDeskPage = named(() => import("./helpdesk/agent"), "AgentDeskPage");
const HelpdeskTicketsPage = named(() => import("./helpdesk/tickets"), "TicketsPage");
const HelpdeskTicketPage = named(() => import("./helpdesk/tickets"), "TicketPage");
const ChangePasswordPage = named(() => import("./auth/pages"), "ChangePasswordPage");
const TasksPage = named(() => import("./work/tasks"), "TasksPage");
const StartPage = named(() => import("./work/instance"), "StartPage");
const InstancePage = named(() => import("./work/instance"), "InstancePage");
const ProjectsPage = named(() => import("./work/projects"), "ProjectsPage");
const ProjectPage = named(() => import("./work/projects"), "ProjectPage");
const NotificationsPage = named(() => import("./notifications/page"), "NotificationsPage");
const MatrixPage = named(() => import("./admin/console"), "MatrixPage");
const AccountsPage = named(() => import("./admin/console"), "AccountsPage");
const ModulePage = named(() => import("./admin/console"), "ModulePage");
const DeadLettersPage = named(() => import("./admin/dead-letters"), "DeadLettersPage");
const TendersPage = named(() => import("./etrading/tenders"), "TendersPage");
const TenderPage = named(() => import("./etrading/tenders"), "TenderPage");
const BidPage = named(() => import("./etrading/bid-page"), "BidPage");
const CustodianPage = named(() => import("./etrading/bid-custodian"), "CustodianPage");
const OpeningHallPage = named(() => import("./etrading/opening-hall"), "OpeningHallPage");
const CreditPublicPage = named(() => import("./credit/pages"), "CreditPublicPage");
const MallPage = named(() => import("./emall/pages"), "MallPage");
const MallProductPage = named(() => import("./emall/pages"), "ProductPage");
const MallCartPage = named(() => import("./emall/pages"), "CartPage");
const MallOrdersPage = named(() => import("./emall/pages"), "OrdersPage");
const MallAuctionsPage = named(() => import("./emall/auction"), "AuctionsPage");
const MallAuctionPage = named(() => import("./emall/auction"), "AuctionPage");
const CreditImportPage = named(() => import("./credit/pages"), "CreditImportPage");
const CreditFilePage = named(() => import("./credit/pages"), "CreditFilePage");
const CreditPenaltyPage = named(() => import("./credit/pages"), "CreditPenaltyPage");
const ScreeningPage = named(() => import("./credit/pages"), "ScreeningPage");
const RatingsPage = named(() => import("./credit/pages"), "RatingsPage");
const ExpertProfilePage = named(() => import("./experts/pages"), "ExpertProfilePage");
const ExpertAdmissionPage = named(() => import("./experts/pages"), "ExpertAdmissionPage");
const DrawingsPage = named(() => import("./experts/pages"), "DrawingsPage");
const DrawingPage = named(() => import("./experts/pages"), "DrawingPage");
const EvaluationsPage = named(() => import("./evaluation/pages"), "EvaluationsPage");
const EvaluationPage = named(() => import("./evaluation/pages"), "EvaluationPage");
const ChallengeFilePage = named(() => import("./complaints/pages"), "ChallengeFilePage");
const ChallengesPage = named(() => import("./complaints/pages"), "ChallengesPage");
const ChallengePage = named(() => import("./complaints/pages"), "ChallengePage");
const ComplaintDeskPage = named(() => import("./complaints/pages"), "ComplaintDeskPage");
const AnalyticsPage = named(() => import("./analytics/pages"), "AnalyticsPage");
const FinanceSecuritiesPage = named(() => import("./finance/pages"), "SecuritiesPage");
const FinanceInboxPage = named(() => import("./finance/pages"), "InstitutionInboxPage");
const FinanceDepositsPage = named(() => import("./finance/pages"), "DepositsPage");
const FinanceVerifyPage = named(() => import("./finance/pages"), "VerifyPage");
const DataPage = named(() => import("./analytics/pages"), "DataPage");
const DocumentPage = named(() => import("./analytics/documents"), "DocumentPage");
const VerifyPage = named(() => import("./portal/verify"), "VerifyPage");
const OpeningRecordPage = named(() => import("./etrading/opening-record"), "OpeningRecordPage");
const ReportPage = named(() => import("./evaluation/report"), "ReportPage");
const RegistryPage = named(() => import("./registries/pages"), "RegistryPage");

type Access = "public" | "signed-in" | "admin";
interface Route {
  path: string;
  access: Access;
  render(params: Record<string, string>): ReactNode;
}

const ROUTES: Route[] = [
  { path: "/", access: "public", render: () => <NoticesPage /> },
  { path: "/notices", access: "public", render: () => <NoticesPage /> },
  { path: "/help", access: "public", render: () => <HelpPage /> },
  { path: "/help/guides", access: "public", render: () => <GuideListPage /> },
  { path: "/help/guides/:id", access: "public", render: (p) => <GuidePage id={p.id} /> },
  { path: "/help/page", access: "public", render: () => <PageHelpPage /> },
  { path: "/helpdesk/agent", access: "signed-in", render: () => <AgentDeskPage /> },
  { path: "/helpdesk/tickets", access: "signed-in", render: () => <HelpdeskTicketsPage /> },
  { path: "/helpdesk/tickets/:id", access: "signed-in", render: (p) => <HelpdeskTicketPage id={p.id} /> },
  { path: "/notices/:id", access: "public", render: (p) => <NoticePage id={p.id} /> },
  { path: "/calendar", access: "public", render: () => <CalendarPage /> },
  { path: "/guides", access: "public", render: () => <GuidesPage /> },
  { path: "/login", access: "public", render: () => <LoginPage /> },
  { path: "/change-password", access: "public", render: () => <ChangePasswordPage /> },
  { path: "/work", access: "signed-in", render: () => <TasksPage /> },
  { path: "/start/:workflowId", access: "signed-in", render: (p) => <StartPage workflowId={p.workflowId} /> },
  { path: "/projects", access: "signed-in", render: () => <ProjectsPage /> },
  { path: "/projects/:id", access: "signed-in", render: (p) => <ProjectPage id={p.id} /> },
  { path: "/instances/:id", access: "signed-in", render: (p) => <InstancePage id={p.id} /> },
  { path: "/notifications", access: "signed-in", render: () => <NotificationsPage /> },
  { path: "/admin", access: "admin", render: () => <MatrixPage /> },
  { path: "/admin/accounts", access: "admin", render: () => <AccountsPage /> },
  { path: "/admin/dead-letters", access: "admin", render: () => <DeadLettersPage /> },
  { path: "/etrading/tenders", access: "signed-in", render: () => <TendersPage /> },
  { path: "/etrading/tenders/:id", access: "signed-in", render: (p) => <TenderPage id={p.id} /> },
  { path: "/etrading/tenders/:id/bid", access: "signed-in", render: (p) => <BidPage id={p.id} /> },
  { path: "/etrading/tenders/:id/custodians/:custodian", access: "signed-in", render: (p) => <CustodianPage id={p.id} custodian={p.custodian} /> },
  { path: "/etrading/tenders/:id/opening", access: "signed-in", render: (p) => <OpeningHallPage id={p.id} /> },
  { path: "/etrading/tenders/:id/opening-record", access: "signed-in", render: (p) => <OpeningRecordPage id={p.id} /> },
  { path: "/etrading/tenders/:id/screening", access: "signed-in", render: (p) => <ScreeningPage id={p.id} /> },
  { path: "/experts/me", access: "signed-in", render: () => <ExpertProfilePage /> },
  { path: "/experts/admission", access: "signed-in", render: () => <ExpertAdmissionPage /> },
  { path: "/experts/drawings", access: "signed-in", render: () => <DrawingsPage /> },
  { path: "/experts/drawings/:id", access: "signed-in", render: (p) => <DrawingPage id={p.id} /> },
  { path: "/evaluation", access: "signed-in", render: () => <EvaluationsPage /> },
  { path: "/evaluation/evaluations/:id", access: "signed-in", render: (p) => <EvaluationPage id={p.id} /> },
  { path: "/evaluation/evaluations/:id/report", access: "signed-in", render: (p) => <ReportPage id={p.id} /> },
  { path: "/etrading/tenders/:id/challenge", access: "signed-in", render: (p) => <ChallengeFilePage tenderId={p.id} /> },
  { path: "/complaints/challenges", access: "signed-in", render: () => <ChallengesPage /> },
  { path: "/complaints/challenges/:id", access: "signed-in", render: (p) => <ChallengePage id={p.id} /> },
  { path: "/complaints/desk", access: "signed-in", render: () => <ComplaintDeskPage /> },
  { path: "/credit", access: "public", render: () => <CreditPublicPage /> },
  { path: "/data", access: "public", render: () => <DataPage /> },
  { path: "/documents/:ocid/:kind", access: "public", render: (p) => <DocumentPage ocid={p.ocid} kind={p.kind} /> },
  { path: "/verify", access: "public", render: () => <VerifyPage /> },
  { path: "/analytics", access: "signed-in", render: () => <AnalyticsPage /> },
  { path: "/mall", access: "public", render: () => <MallPage /> },
  { path: "/mall/products/:id", access: "public", render: (p) => <MallProductPage id={p.id} /> },
  { path: "/mall/cart", access: "signed-in", render: () => <MallCartPage /> },
  { path: "/mall/orders", access: "signed-in", render: () => <MallOrdersPage /> },
  { path: "/mall/auctions", access: "signed-in", render: () => <MallAuctionsPage /> },
  { path: "/mall/auctions/:id", access: "signed-in", render: (p) => <MallAuctionPage id={p.id} /> },
  { path: "/credit/imports", access: "signed-in", render: () => <CreditImportPage /> },
  { path: "/credit/files/:code", access: "signed-in", render: (p) => <CreditFilePage code={p.code} /> },
  { path: "/credit/penalties/new", access: "signed-in", render: () => <CreditPenaltyPage /> },
  { path: "/credit/ratings", access: "signed-in", render: () => <RatingsPage /> },
  { path: "/finance/verify", access: "public", render: () => <FinanceVerifyPage /> },
  { path: "/finance/securities", access: "signed-in", render: () => <FinanceSecuritiesPage /> },
  { path: "/finance/inbox", access: "signed-in", render: () => <FinanceInboxPage /> },
  { path: "/finance/deposits", access: "signed-in", render: () => <FinanceDepositsPage /> },
  { path: "/registries/:registry", access: "signed-in", render: (p) => <RegistryPage registry={p.registry} /> },
  { path: "/admin/:code/:module", access: "admin", render: (p) => <ModulePage code={p.code} module={p.module} /> },
];

/** Where financial services start for a role: the supplier's securities, the institution's inbox, the agency's and regulator's deposits. */
const financeHome = (roles: string[] | undefined) =>
  roles?.includes("supplier") ? "/finance/securities" : roles?.includes("institution") ? "/finance/inbox" : roles?.some((r) => r === "agency" || r === "regulator") ? "/finance/deposits" : null;

const isAdmin = (roles: string[] | undefined) => !!roles?.some((r) => r === "tenant-admin" || r === "platform-admin");

/** Signed in, first password changed, /api/me loaded; otherwise on the way there. */
function Guard({ access, children }: { access: Access; children: ReactNode }) {
  const { t } = useI18n();
  const { location } = useRouter();
  const snap = useSession();
  const [failure, setFailure] = useState<unknown>(null);
  const needsSignIn = access !== "public" && !snap.state;
  const needsChange = access !== "public" && !!snap.state?.mustChangePassword;
  useEffect(() => {
    if (needsSignIn) navigate(`/login?next=${encodeURIComponent(location.href)}`, { replace: true });
    else if (needsChange) navigate(`/change-password?next=${encodeURIComponent(location.href)}`, { replace: true });
  }, [needsSignIn, needsChange, location.href]);
  useEffect(() => {
    if (access !== "public" && snap.state && !snap.state.mustChangePassword && !snap.me) session.loadMe().catch(setFailure);
  }, [access, snap.state, snap.me]);
  if (access === "public") return <>{children}</>;
  if (needsSignIn || needsChange) return null;
  if (!snap.me) return failure ? <ErrorNotice error={failure} /> : <Loading />;
  if (access === "admin" && !isAdmin(snap.state?.user.roles)) {
    return (
      <div>
        <PageTitle>{t("admin.title")}</PageTitle>
        <p className="notice notice-warn">{t("admin.notAdmin")}</p>
      </div>
    );
  }
  return <>{children}</>;
}

function NavLink({ to, children, match }: { to: string; children: ReactNode; match?: (path: string) => boolean }) {
  const { location } = useRouter();
  const current = match ? match(location.path) : location.path === to;
  return (
    <Link to={to} aria-current={current ? "page" : undefined}>
      {children}
    </Link>
  );
}

function Header() {
  const { t } = useI18n();
  const snap = useSession();
  const [menu, setMenu] = useState(false);
  const { location } = useRouter();
  useEffect(() => setMenu(false), [location.href]);
  const signedIn = !!snap.state && !snap.state.mustChangePassword;
  return (
    <header className="site-header">
      <div className="header-row">
        <Link to="/" className="brand">
          <span className="brand-mark" aria-hidden="true">
            粤
          </span>
          <span className="brand-text">{t("app.name")}</span>
        </Link>
        <button type="button" className="menu-toggle" aria-expanded={menu} aria-controls="main-nav" onClick={() => setMenu((m) => !m)}>
          {t("nav.menu")}
        </button>
        <nav id="main-nav" className={`main-nav${menu ? " open" : ""}`} aria-label={t("nav.main")}>
          <NavLink to="/notices" match={(p) => p === "/" || p.startsWith("/notices")}>
            {t("nav.notices")}
          </NavLink>
          <NavLink to="/calendar">{t("nav.calendar")}</NavLink>
          <NavLink to="/guides">{t("nav.guides")}</NavLink>
          <NavLink to="/credit">{t("nav.credit")}</NavLink>
          <NavLink to="/data">{t("nav.data")}</NavLink>
          <NavLink to="/mall" match={(p) => p.startsWith("/mall")}>
            {t("nav.mall")}
          </NavLink>
          {signedIn ? (
            <>
              <NavLink to="/work" match={(p) => p === "/work" || p.startsWith("/instances") || p.startsWith("/start")}>
                {t("nav.work")}
              </NavLink>
              <NavLink to="/projects" match={(p) => p.startsWith("/projects")}>
                {t("nav.projects")}
              </NavLink>
              <NavLink to="/etrading/tenders" match={(p) => p.startsWith("/etrading")}>
                {t("nav.tenders")}
              </NavLink>
              {expertsHome(snap.state?.user.roles) ? (
                <NavLink to={expertsHome(snap.state?.user.roles)!} match={(p) => p.startsWith("/experts")}>
                  {t("nav.experts")}
                </NavLink>
              ) : null}
              {snap.state?.user.roles.some((r) => r === "supplier" || r === "regulator") ? (
                <NavLink to={snap.state.user.roles.includes("regulator") ? "/complaints/desk" : "/complaints/challenges"} match={(p) => p.startsWith("/complaints")}>
                  {t("nav.complaints")}
                </NavLink>
              ) : null}
              {snap.state?.user.roles.includes("helpdesk-agent") ? (
                <NavLink to="/helpdesk/agent" match={(p) => p.startsWith("/helpdesk")}>
                  {t("helpdesk.agent.title")}
                </NavLink>
              ) : null}
              {snap.state?.user.roles.some((r) => r === "regulator" || r === "purchaser") ? <NavLink to="/analytics">{t("nav.analytics")}</NavLink> : null}
              {snap.state?.user.roles.some((r) => r === "purchaser" || r === "agency" || r === "supplier" || r === "expert") ? <NavLink to="/credit/ratings">{t("nav.ratings")}</NavLink> : null}
              <NavLink to="/registries/suppliers" match={(p) => p.startsWith("/registries")}>
                {t("nav.registries")}
              </NavLink>
              {financeHome(snap.state?.user.roles) ? (
                <NavLink to={financeHome(snap.state?.user.roles)!} match={(p) => p.startsWith("/finance")}>
                  {t("nav.finance")}
                </NavLink>
              ) : null}
              {isAdmin(snap.state?.user.roles) ? (
                <NavLink to="/admin" match={(p) => p.startsWith("/admin")}>
                  {t("nav.admin")}
                </NavLink>
              ) : null}
            </>
          ) : null}
        </nav>
        <div className="header-tools">
          <LanguageSwitch />
          <ElderSwitch />
          {signedIn ? <Bell /> : null}
          {snap.state ? (
            <span className="user-menu">
              <span className="user-name" title={snap.state.user.username}>
                {snap.state.user.displayName}
              </span>
              <Link to="/change-password">{t("nav.password")}</Link>
              <button type="button" className="btn btn-plain btn-small" onClick={() => void session.logout().then(() => navigate("/login"))}>
                {t("nav.signOut")}
              </button>
            </span>
          ) : (
            <Link to="/login" className="btn btn-small">
              {t("nav.signIn")}
            </Link>
          )}
        </div>
      </div>
    </header>
  );
}

export function App() {
  const { t } = useI18n();
  const { location } = useRouter();
  const snap = useSession();
  const account = snap.state && !snap.state.mustChangePassword ? snap.state.user.id : null;
  // The inbox follows the signed-in account: started at sign-in, stopped at sign-out.
  useEffect(() => {
    void inbox.start(account);
  }, [account]);
  useEffect(() => {
    // (Chromium's scrollTo returns a promise: not something for React to call on cleanup)
    window.scrollTo(0, 0);
  }, [location.path]);

  let page: ReactNode = null;
  for (const r of ROUTES) {
    const params = matchPath(r.path, location.path);
    if (params) {
      page = (
        <Guard key={r.path} access={r.access}>
          {r.render(params)}
        </Guard>
      );
      break;
    }
  }
  return (
    <>
      <a className="skip-link" href="#main">
        {t("nav.skip")}
      </a>
      <Header />
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<Loading />}>
        {page ?? (
          <div>
            <PageTitle>{t("notFound.title")}</PageTitle>
            <p>
              <Link to="/">{t("notFound.home")}</Link>
            </p>
          </div>
        )}
        </Suspense>
      </main>
      <footer className="site-footer">
        <p>{t("app.footer")}</p>
        <PageHelpLink />
        <HelpdeskChat />
      </footer>
    </>
  );
}
