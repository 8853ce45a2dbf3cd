// An email's files: each downloads through a link the API signs for a few minutes when it is asked for, so a
// link copied from the page stops working and the API decides, at every download, who may have the file.
import { useState } from "preact/hooks";
import { api, asError, data } from "../api/client";
import { useT } from "../i18n";
import { Problem } from "./Problem";

export interface AttachmentRef {
  attachment_id: string;
  filename: string;
  size: number;
}

/** The files an API record lists, read defensively: a record's list is loosely typed. */
export function attachmentsOf(listed: unknown): AttachmentRef[] {
  if (!Array.isArray(listed)) return [];
  return listed.filter(
    (item): item is AttachmentRef =>
      typeof item === "object" && item !== null && typeof (item as AttachmentRef).attachment_id === "string",
  );
}

export function AttachmentLinks({ files }: { files: readonly AttachmentRef[] }) {
  const t = useT();
  const [problem, setProblem] = useState<Error | null>(null);
  if (files.length === 0) return null;

  async function download(file: AttachmentRef) {
    try {
      const signed = data(await api.GET("/v1/attachments/{attachment_id}", { params: { path: { attachment_id: file.attachment_id } } }));
      setProblem(null);
      location.assign(signed.url);
    } catch (failure) {
      setProblem(asError(failure));
    }
  }

  return (
    <div class="attachments">
      {problem && <Problem error={problem} />}
      <ul aria-label={t("email.attachments")}>
        {files.map((file) => (
          <li key={file.attachment_id}>
            <button type="button" class="link" data-attachment-id={file.attachment_id} onClick={() => void download(file)}>
              {t("email.download", { name: file.filename, kb: Math.max(1, Math.round(file.size / 1024)) })}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
