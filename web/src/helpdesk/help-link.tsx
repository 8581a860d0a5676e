import "./helpdesk.css";
import { useI18n } from "../i18n";
import { Link, useRouter } from "../router";

// Its own module: the footer loads with every page, the guides (Markdown renderer included) only when opened.
/** The "help" link of every page: the guide for the page the user is on. */
export function PageHelpLink() {
  const { t } = useI18n();
  const { location } = useRouter();
  if (location.path.startsWith("/help")) return null;
  return (
    <Link to={`/help/page?path=${encodeURIComponent(location.path)}`} className="page-help-link">
      {t("helpdesk.pageHelp")}
    </Link>
  );
}
