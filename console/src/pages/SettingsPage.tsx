// Settings: the one entry in the navigation to the pages that set the CRM up, each shown to the roles the API
// lets open it (workflows, assignment rules, reports, custom fields, pipelines, email templates).
import { hasRole, useSession } from "../auth/context";
import { type MessageKey, useT } from "../i18n";

const PAGES: readonly { href: string; title: MessageKey; about: MessageKey; roles: readonly string[] }[] = [
  { href: "#/workflows", title: "workflows.title", about: "settings.about.workflows", roles: ["admin", "marketing"] },
  { href: "#/assignment", title: "assignment.title", about: "settings.about.assignment", roles: ["admin"] },
  { href: "#/reports", title: "reports.title", about: "settings.about.reports", roles: ["admin", "sales", "marketing", "support"] },
  { href: "#/custom-fields", title: "customFields.title", about: "settings.about.customFields", roles: ["admin"] },
  { href: "#/pipelines", title: "pipelines.title", about: "settings.about.pipelines", roles: ["admin", "sales"] },
  { href: "#/email-templates", title: "emailTemplates.title", about: "settings.about.emailTemplates", roles: ["admin", "marketing"] },
];

export function SettingsPage() {
  const t = useT();
  const session = useSession();
  const pages = PAGES.filter((page) => hasRole(session, ...page.roles));
  return (
    <section class="page settings" aria-labelledby="settings-title">
      <h1 id="settings-title">{t("settings.title")}</h1>
      <ul class="settings-links">
        {pages.map((page) => (
          <li key={page.href}>
            <a href={page.href}>{t(page.title)}</a>
            <span class="muted"> — {t(page.about)}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
