/** A page's last outcome: read out politely, as an alert when it is an error. */
export interface NoticeMessage {
  text: string;
  error: boolean;
}

export function Notice({ message }: { message: NoticeMessage | undefined }) {
  return (
    <div aria-live="polite">
      {message && (
        <p
          role={message.error ? 'alert' : 'status'}
          className={message.error ? 'error banner' : 'notice banner'}
        >
          {message.text}
        </p>
      )}
    </div>
  );
}
