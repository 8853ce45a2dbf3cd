// How a failed request reads to a person: the API's own message, and a way to try again.
import { ApiError } from "../api/client";
import { useT } from "../i18n";

export function Problem({ error, retry }: { error: Error; retry?: () => void }) {
  const t = useT();
  const text =
    error instanceof ApiError && error.status === 403
      ? t("common.forbidden")
      : error instanceof ApiError && error.status === 404
        ? t("common.notFound")
        : t("common.error", { message: error.message });
  return (
    <div role="alert" class="problem">
      <p>{text}</p>
      {retry && (
        <button type="button" onClick={retry}>
          {t("common.retry")}
        </button>
      )}
    </div>
  );
}
