// The frame of every page: a skip link, the sections the signed-in role may open, preferences, sign-out.
import type { ComponentChildren } from "preact";
import { hasRole } from "../auth/context";
import type { Session } from "../auth/session";
import { type Locale, useT } from "../i18n";
import { Preferences } from "./Preferences";
import { UnreadBadge } from "./UnreadBadge";

export function Shell(props: {
  session: Session;
  locale: Locale;
  onLocale: (next: Locale) => void;
  onSignOut: () => void;
  children: ComponentChildren;
}) {
  const t = useT();
  return (
    <>
      <a class="skip" href="#main">
        {t("app.skip")}
      </a>
      <header class="shell">
        <strong class="brand">{t("app.title")}</strong>
        <nav aria-label={t("nav.label")}>
          <a href="#/contacts">{t("nav.contacts")}</a>
          <a href="#/companies">{t("nav.companies")}</a>
          {hasRole(props.session, "admin", "sales") && <a href="#/deals">{t("nav.deals")}</a>}
          {hasRole(props.session, "admin", "sales", "support") && <a href="#/cases">{t("nav.cases")}</a>}
          {hasRole(props.session, "admin", "sales", "marketing") && <a href="#/forms">{t("nav.forms")}</a>}
          {hasRole(props.session, "admin", "marketing") && <a href="#/spam">{t("nav.spam")}</a>}
          {hasRole(props.session, "admin", "sales", "marketing") && <a href="#/scoring">{t("nav.scoring")}</a>}
          {hasRole(props.session, "admin", "sales", "marketing") && <a href="#/dashboards">{t("nav.dashboards")}</a>}
          <a href="#/imports">{t("nav.imports")}</a>
          <a href="#/notifications">
            {t("nav.notifications")} <UnreadBadge />
          </a>
          <a href="#/team">{t("nav.team")}</a>
          {hasRole(props.session, "admin") && <a href="#/audit">{t("nav.audit")}</a>}
          {hasRole(props.session, "admin", "marketing") && <a href="#/settings">{t("nav.settings")}</a>}
        </nav>
        <Preferences locale={props.locale} onChange={props.onLocale} />
        <span class="muted">
          {t("auth.signedInAs", { who: props.session.email, roles: props.session.roles.join(", ") })}
        </span>
        <button type="button" onClick={props.onSignOut}>
          {t("auth.signOut")}
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
    </>
  );
}
