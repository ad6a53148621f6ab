import { useEffect, useId, useRef, type KeyboardEvent, type ReactNode } from 'react';
import { useI18n } from '../i18n/i18n-context';

const FOCUSABLE =
  'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea, [tabindex]:not([tabindex="-1"])';

interface ConfirmDialogProps {
  heading: string;
  text: string;
  confirmLabel: string;
  /** Deleting is `danger` (the default); a choice that is not destructive is `primary`. */
  confirmTone?: 'danger' | 'primary';
  /** False hides the confirm button, leaving Cancel: for a question that can no longer be said yes to. */
  canConfirm?: boolean;
  busy?: boolean;
  /** More to read below the text (a warning, an outcome). */
  children?: ReactNode;
  onConfirm: () => void;
  onCancel: () => void;
}

/**
 * A modal confirmation. The native modal <dialog> makes the page behind it inert; Tab and Shift+Tab
 * also wrap inside it, so keyboard focus never leaves it for the browser's own UI. Escape cancels,
 * and focus returns to the control that opened it.
 */
export function ConfirmDialog({
  heading,
  text,
  confirmLabel,
  confirmTone = 'danger',
  canConfirm = true,
  busy,
  children,
  onConfirm,
  onCancel,
}: ConfirmDialogProps) {
  const { t } = useI18n();
  const dialogRef = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const headingId = useId();
  const textId = useId();

  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const dialog = dialogRef.current;
    if (dialog && !dialog.open) dialog.showModal();
    // The safe choice has focus first: Enter on an opened dialog must not delete.
    cancelRef.current?.focus();
    return () => {
      dialog?.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  function trapTab(event: KeyboardEvent<HTMLDialogElement>) {
    if (event.key !== 'Tab' || !dialogRef.current) return;
    const focusable = [...dialogRef.current.querySelectorAll<HTMLElement>(FOCUSABLE)];
    if (focusable.length === 0) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }

  return (
    <dialog
      ref={dialogRef}
      className="dialog"
      aria-labelledby={headingId}
      aria-describedby={textId}
      onKeyDown={trapTab}
      onCancel={(event) => {
        event.preventDefault();
        onCancel();
      }}
    >
      <h2 id={headingId}>{heading}</h2>
      <p id={textId}>{text}</p>
      {children}
      <div className="actions">
        {canConfirm && (
          <button type="button" className={confirmTone} onClick={onConfirm} disabled={busy}>
            {confirmLabel}
          </button>
        )}
        <button type="button" ref={cancelRef} onClick={onCancel}>
          {t('cancel')}
        </button>
      </div>
    </dialog>
  );
}
