// One error or notice line with a dismiss button (errors are alerts, notices are status).
export interface NoticeText {
  kind: 'error' | 'info';
  text: string;
}

export function Notice({ notice, onDismiss, testId, dismissLabel }: { notice: NoticeText; onDismiss: () => void; testId: string; dismissLabel: string }) {
  const error = notice.kind === 'error';
  return (
    <p className={error ? 'error' : 'note'} role={error ? 'alert' : 'status'} data-testid={testId}>
      {notice.text} <button type="button" className="link" onClick={onDismiss} aria-label={dismissLabel}>×</button>
    </p>
  );
}
