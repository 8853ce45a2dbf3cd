// The interface's strings live in one locale file per language; English is complete and every other file
// must have the same keys (a test holds them to it), so a missing translation is caught before it ships.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import ar from "./locales/ar.json";
import en from "./locales/en.json";
import fa from "./locales/fa.json";
import ru from "./locales/ru.json";

export type MessageKey = keyof typeof en;
export type Language = "en" | "fa" | "ru" | "ar";
export type Calendar = "gregory" | "persian";

const catalogs: Record<Language, Record<MessageKey, string>> = { en, fa, ru, ar };
export const LANGUAGES: readonly { code: Language; name: string }[] = [
  { code: "en", name: "English" },
  { code: "fa", name: "فارسی" },
  { code: "ar", name: "العربية" },
  { code: "ru", name: "Русский" },
];
const RIGHT_TO_LEFT: ReadonlySet<Language> = new Set(["fa", "ar"]);

export interface Locale {
  language: Language;
  calendar: Calendar;
  timeZone: string;
}

export function direction(language: Language): "rtl" | "ltr" {
  return RIGHT_TO_LEFT.has(language) ? "rtl" : "ltr";
}

export function isLanguage(value: unknown): value is Language {
  return typeof value === "string" && value in catalogs;
}

/** Whether `key` names a string (for keys built from an API value, such as a status). */
export function isMessageKey(key: string): key is MessageKey {
  return key in en;
}

export function translate(language: Language, key: MessageKey, values: Record<string, string | number> = {}): string {
  const template = catalogs[language][key] ?? catalogs.en[key];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = values[name];
    return value === undefined ? whole : typeof value === "number" ? formatNumber(language, value) : value;
  });
}

export function formatNumber(language: Language, value: number): string {
  return new Intl.NumberFormat(intlLocale(language)).format(value);
}

/** An amount in minor units (cents, rials) in its currency, as the user's locale writes money. */
export function formatMoney(language: Language, minor: number, currency: string | null): string {
  if (!currency) return formatNumber(language, minor / 100);
  const format = new Intl.NumberFormat(intlLocale(language), { style: "currency", currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minor / 10 ** digits);
}

export function formatDateTime(locale: Locale, iso: string | null | undefined): string {
  if (!iso) return "";
  const moment = new Date(iso);
  if (Number.isNaN(moment.getTime())) return iso;
  return new Intl.DateTimeFormat(intlLocale(locale.language, locale.calendar), {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: locale.timeZone,
  }).format(moment);
}

function intlLocale(language: Language, calendar?: Calendar): string {
  const tag = { en: "en-GB", fa: "fa-IR", ru: "ru-RU", ar: "ar" }[language];
  return calendar ? `${tag}-u-ca-${calendar}` : tag;
}

export const LocaleContext = createContext<Locale>({ language: "en", calendar: "gregory", timeZone: "UTC" });

export function useLocale(): Locale {
  return useContext(LocaleContext);
}

export type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;

export function useT(): Translate {
  const { language } = useLocale();
  return (key, values) => translate(language, key, values);
}
