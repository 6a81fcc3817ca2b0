import { useConnection } from '../lib/gateway';

/** Shown while the gateway is down; the resume that follows fills in what was missed. */
export function ReconnectBanner() {
  const status = useConnection((s) => s.status);
  if (status !== 'reconnecting') return null;
  return (
    <div className="banner" role="status" aria-live="polite" data-testid="reconnect-banner">
      Connection lost — reconnecting…
    </div>
  );
}
