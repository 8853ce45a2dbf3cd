// A lead's score and the rules that gave its points, as the scoring model explains it.
import { formatNumber, useLocale, useT } from "../i18n";

interface Reason {
  rule?: string;
  label?: string;
  group?: string;
  points?: number;
}

export function ScoreBreakdown({ score, grade, breakdown }: { score: number | null; grade: string | null; breakdown: readonly unknown[] }) {
  const t = useT();
  const { language } = useLocale();
  const reasons = breakdown as readonly Reason[];
  return (
    <section aria-labelledby="score-title" class="score">
      <h2 id="score-title">{t("contact.score")}</h2>
      <p class="score-value">
        {score == null ? "—" : formatNumber(language, score)}
        {grade && <span class="muted"> · {t("contact.grade", { grade })}</span>}
      </p>
      <h3>{t("contact.breakdown")}</h3>
      {reasons.length === 0 ? (
        <p>{t("contact.noBreakdown")}</p>
      ) : (
        <ul>
          {reasons.map((reason, index) => (
            <li key={reason.rule ?? index}>
              <bdi>{reason.label ?? reason.rule}</bdi>: {t("contact.points", { points: reason.points ?? 0 })}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
