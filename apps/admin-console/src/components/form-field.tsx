import { Fragment, useId, type ReactNode } from 'react';
import type { ErrorText, FieldErrors, FormField } from '../api/api-error';

/** Stable ids for a form's controls, hints and error lines (aria-describedby links them). */
export function useFieldIds() {
  const base = useId();
  return {
    control: (field: string) => `${base}-${field}`,
    hint: (field: string) => `${base}-${field}-hint`,
    error: (field: string) => `${base}-${field}-error`,
  };
}
export type FieldIds = ReturnType<typeof useFieldIds>;

/** aria-invalid and aria-describedby of a field: its hints, and its error line when it has one. */
export function fieldAria(
  errors: FieldErrors,
  ids: FieldIds,
  field: FormField,
  ...hints: (string | false | undefined)[]
) {
  const invalid = errors.fields[field] ? true : undefined;
  const describedBy = [...hints, invalid && ids.error(field)].filter(Boolean).join(' ') || undefined;
  return { 'aria-invalid': invalid, 'aria-describedby': describedBy };
}

export function FieldError({ id, messages }: { id: string; messages?: ErrorText[] }): ReactNode {
  if (!messages || messages.length === 0) return null;
  return (
    <p id={id} className="field-error">
      {messages.map((message, index) => (
        <Fragment key={index}>
          {index > 0 && ' '}
          <ErrorLine text={message} />
        </Fragment>
      ))}
    </p>
  );
}

/** One line of an error: the server's untranslated English is marked so (translate="no", lang="en"). */
export function ErrorLine({ text }: { text: ErrorText }): ReactNode {
  return text.verbatim ? (
    <span translate="no" lang="en">
      {text.text}
    </span>
  ) : (
    text.text
  );
}
