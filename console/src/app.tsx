// The console: sign in, then one page per hash route (#/contacts, #/contacts/<id>), in the user's language.
import { useEffect, useLayoutEffect, useState } from "preact/hooks";
import { SessionContext } from "./auth/context";
import { beginSignIn, completeSignIn, type ConsoleConfig, loadConfig, type Session, session, signOut } from "./auth/session";
import { Problem } from "./components/Problem";
import { Shell } from "./components/Shell";
import { direction, isLanguage, type Locale, LocaleContext, translate } from "./i18n";
import { ContactPage } from "./pages/ContactPage";
import { ContactsPage } from "./pages/ContactsPage";
import { AuditLog } from "./pages/AuditLog";
import { CasePage, CasesInbox } from "./pages/CasesPage";
import { CompaniesPage, CompanyPage } from "./pages/CompaniesPage";
import { Dashboards } from "./pages/Dashboards";
import { FormsPage } from "./pages/FormsPage";
import { ImportsPage } from "./pages/ImportsPage";
import { NotificationsPage } from "./pages/NotificationsPage";
import { DealsBoard } from "./pages/DealsBoard";
import { ScoringModel } from "./pages/ScoringModel";
import { SpamReview } from "./pages/SpamReview";
import { TeamPage } from "./pages/TeamPage";
import { SettingsPage } from "./pages/SettingsPage";
import { WorkflowsPage } from "./pages/workflows/WorkflowsPage";
import { AssignmentRules } from "./pages/AssignmentRules";
import { ReportsPage } from "./pages/ReportsPage";
import { CustomFields } from "./pages/CustomFields";
import { PipelinesPage } from "./pages/PipelinesPage";
import { EmailTemplates } from "./pages/EmailTemplates";
import { asError } from "./api/client";

const PREFERENCES = "crm.console.preferences";

function savedLocale(): Locale {
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const language = navigator.language.slice(0, 2);
  const fallback: Locale = { language: isLanguage(language) ? language : "en", calendar: "gregory", timeZone };
  try {
    const saved = JSON.parse(localStorage.getItem(PREFERENCES) ?? "{}") as Partial<Locale>;
    return {
      language: isLanguage(saved.language) ? saved.language : fallback.language,
      calendar: saved.calendar === "persian" ? "persian" : fallback.language === "fa" ? "persian" : "gregory",
      timeZone,
    };
  } catch {
    return fallback;
  }
}

function useHashRoute(): string {
  const [route, setRoute] = useState(location.hash || "#/contacts");
  useEffect(() => {
    const follow = () => setRoute(location.hash || "#/contacts");
    addEventListener("hashchange", follow);
    return () => removeEventListener("hashchange", follow);
  }, []);
  return route;
}

function Page({ route }: { route: string }) {
  const contact = /^#\/contacts\/([^/]+)$/.exec(route);
  if (contact?.[1]) return <ContactPage id={decodeURIComponent(contact[1])} />;
  const company = /^#\/companies\/([^/]+)$/.exec(route);
  if (company?.[1]) return <CompanyPage id={decodeURIComponent(company[1])} />;
  const supportCase = /^#\/cases\/([^/]+)$/.exec(route);
  if (supportCase?.[1]) return <CasePage id={decodeURIComponent(supportCase[1])} />;
  if (route === "#/cases") return <CasesInbox />;
  if (route === "#/companies") return <CompaniesPage />;
  if (route === "#/audit") return <AuditLog />;
  if (route === "#/imports") return <ImportsPage />;
  if (route === "#/notifications") return <NotificationsPage />;
  if (route === "#/team") return <TeamPage />;
  if (route === "#/deals") return <DealsBoard />;
  if (route === "#/spam") return <SpamReview />;
  if (route === "#/forms") return <FormsPage />;
  if (route === "#/scoring") return <ScoringModel />;
  if (route === "#/dashboards") return <Dashboards />;
  if (route === "#/settings") return <SettingsPage />;
  if (route === "#/workflows") return <WorkflowsPage />;
  if (route === "#/assignment") return <AssignmentRules />;
  if (route === "#/reports") return <ReportsPage />;
  if (route === "#/custom-fields") return <CustomFields />;
  if (route === "#/pipelines") return <PipelinesPage />;
  if (route === "#/email-templates") return <EmailTemplates />;
  return <ContactsPage />;
}

export function App() {
  const [locale, setLocale] = useState<Locale>(savedLocale);
  const [config, setConfig] = useState<ConsoleConfig | null>(null);
  const [signedIn, setSignedIn] = useState<Session | null>(session());
  const [error, setError] = useState<Error | null>(null);
  const route = useHashRoute();

  // Before the browser paints, so that a right-to-left page never shows a left-to-right frame first.
  useLayoutEffect(() => {
    document.documentElement.lang = locale.language;
    document.documentElement.dir = direction(locale.language);
    document.title = translate(locale.language, "app.title");
    localStorage.setItem(PREFERENCES, JSON.stringify({ language: locale.language, calendar: locale.calendar }));
  }, [locale]);

  useEffect(() => {
    loadConfig()
      .then(async (loaded) => {
        setConfig(loaded);
        const completed = await completeSignIn(loaded);
        if (completed) {
          setSignedIn(completed);
          // Back on the page the user first asked for: the sign-in put its hash back without a hashchange.
          dispatchEvent(new HashChangeEvent("hashchange"));
        }
        else if (!session()) await beginSignIn(loaded);
      })
      .catch((failure: unknown) => setError(asError(failure)));
  }, []);

  return (
    <LocaleContext.Provider value={locale}>
      {error ? (
        <main id="main">
          <Problem error={new Error(translate(locale.language, "auth.failed", { reason: error.message }))} retry={() => location.assign("/")} />
        </main>
      ) : signedIn && config ? (
        <SessionContext.Provider value={signedIn}>
          <Shell session={signedIn} locale={locale} onLocale={setLocale} onSignOut={() => signOut(config)}>
            <Page route={route} />
          </Shell>
        </SessionContext.Provider>
      ) : (
        <main id="main" aria-busy="true">
          <p>{translate(locale.language, "auth.signingIn")}</p>
        </main>
      )}
    </LocaleContext.Provider>
  );
}
