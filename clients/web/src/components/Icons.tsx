/**
 * Icons drawn inline: emoji depend on fonts the system may not have, and icon fonts would be
 * a request to another host.
 */
export function LockIcon({ label }: { label?: string }) {
  return (
    <svg
      className="icon-svg"
      viewBox="0 0 16 16"
      width="14"
      height="14"
      role={label === undefined ? undefined : 'img'}
      aria-label={label}
      aria-hidden={label === undefined ? true : undefined}
    >
      <path fill="currentColor" d="M4 7V5a4 4 0 1 1 8 0v2h1v8H3V7h1Zm2 0h4V5a2 2 0 1 0-4 0v2Z" />
    </svg>
  );
}

export function MembersIcon() {
  return (
    <svg className="icon-svg" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
      <circle cx="5.5" cy="5" r="2.5" fill="currentColor" />
      <circle cx="11" cy="5.5" r="2" fill="currentColor" />
      <path fill="currentColor" d="M1 14c0-3 2-4.5 4.5-4.5S10 11 10 14H1Zm10-4c2.2 0 4 1 4 4h-4z" />
    </svg>
  );
}
