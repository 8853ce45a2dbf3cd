// One deal on the board: draggable, and movable with the keyboard; closing it won or lost asks for the reason.
import { useState } from "preact/hooks";
import type { Deal } from "../api/client";
import { formatMoney, useLocale, useT } from "../i18n";

interface Props {
  deal: Deal;
  stages: readonly { id: string; name: string }[];
  onMove: (deal: Deal, stage: string, reason?: string) => Promise<void>;
}

export function DealCard({ deal, stages, onMove }: Props) {
  const t = useT();
  const { language } = useLocale();
  const [closing, setClosing] = useState<"won" | "lost" | null>(null);
  const [reason, setReason] = useState("");
  const label = `deal-${deal.id}`;
  return (
    <article
      class="deal"
      draggable
      data-deal-id={deal.id}
      aria-labelledby={label}
      onDragStart={(event) => event.dataTransfer?.setData("text/plain", deal.id)}
    >
      <h3 id={label}>
        <bdi>{deal.name}</bdi>
      </h3>
      {deal.amount_minor != null && (
        <p class="muted">
          {t("deals.amount")}: {formatMoney(language, deal.amount_minor, deal.currency ?? null)}
        </p>
      )}
      <label>
        {t("deals.moveTo")}{" "}
        <select
          value={deal.stage ?? ""}
          onChange={(event) => {
            const stage = event.currentTarget.value;
            if (stage === "won" || stage === "lost") setClosing(stage);
            else void onMove(deal, stage);
          }}
        >
          {stages.map((stage) => (
            <option key={stage.id} value={stage.id}>
              {stage.name}
            </option>
          ))}
        </select>
      </label>
      {closing && (
        <form
          class="close-deal"
          onSubmit={(event) => {
            event.preventDefault();
            if (closing === "lost" && !reason.trim()) return;
            void onMove(deal, closing, reason.trim() || undefined).then(() => setClosing(null));
          }}
        >
          <label>
            {t("deals.reason")}{" "}
            <input value={reason} required={closing === "lost"} onInput={(event) => setReason(event.currentTarget.value)} />
          </label>
          {closing === "lost" && !reason.trim() && <p class="muted">{t("deals.reasonNeeded")}</p>}
          <button type="submit">{closing === "won" ? t("deals.win") : t("deals.lose")}</button>
          <button type="button" onClick={() => setClosing(null)}>
            {t("deals.cancel")}
          </button>
        </form>
      )}
    </article>
  );
}
