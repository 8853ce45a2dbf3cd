// The user's language and calendar, switchable at any time and kept on this browser (they are not secrets).
import { type Calendar, type Language, LANGUAGES, type Locale, useT } from "../i18n";

export function Preferences({ locale, onChange }: { locale: Locale; onChange: (next: Locale) => void }) {
  const t = useT();
  return (
    <div class="preferences">
      <label>
        {t("settings.language")}{" "}
        <select
          value={locale.language}
          onChange={(event) => {
            const language = event.currentTarget.value as Language;
            // Persian users get the Solar Hijri calendar until they choose the Gregorian one.
            onChange({ ...locale, language, calendar: language === "fa" ? "persian" : "gregory" });
          }}
        >
          {LANGUAGES.map(({ code, name }) => (
            <option key={code} value={code} lang={code}>
              {name}
            </option>
          ))}
        </select>
      </label>
      {locale.language === "fa" && (
        <label>
          {t("settings.calendar")}{" "}
          <select
            value={locale.calendar}
            onChange={(event) => onChange({ ...locale, calendar: event.currentTarget.value as Calendar })}
          >
            <option value="persian">{t("settings.calendar.persian")}</option>
            <option value="gregory">{t("settings.calendar.gregory")}</option>
          </select>
        </label>
      )}
    </div>
  );
}
