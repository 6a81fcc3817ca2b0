import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { RecoveryCodes, SessionList } from '../src/components/Settings';

afterEach(cleanup);

const sessions = [
  {
    id: 's-this',
    created_at_ms: 1_700_000_000_000,
    last_used_at_ms: 1_700_000_100_000,
    current: true,
  },
  {
    id: 's-other',
    created_at_ms: 1_690_000_000_000,
    last_used_at_ms: 1_690_000_500_000,
    current: false,
  },
];

describe('SessionList', () => {
  it('marks this browser and offers to revoke only the others', () => {
    const revoked: string[] = [];
    render(<SessionList sessions={sessions} onRevoke={(id) => revoked.push(id)} />);
    const [mine, other, ...rest] = within(
      screen.getByRole('list', { name: 'Active sessions' }),
    ).getAllByRole('listitem');
    if (mine === undefined || other === undefined) throw new Error('two sessions expected');
    expect(rest).toHaveLength(0);
    expect(mine.textContent).toContain('This browser');
    expect(within(mine).queryByRole('button')).toBeNull();
    fireEvent.click(within(other).getByRole('button', { name: /^Revoke/ }));
    expect(revoked).toEqual(['s-other']);
  });
});

describe('RecoveryCodes', () => {
  it('shows every code until they are confirmed saved', () => {
    const codes = Array.from(
      { length: 10 },
      (_, i) => `abcd-efgh-jkmn-pq${String(i).padStart(2, '0')}`,
    );
    let done = false;
    render(
      <RecoveryCodes
        codes={codes}
        onDone={() => {
          done = true;
        }}
      />,
    );
    expect(within(screen.getByTestId('recovery-codes')).getAllByRole('listitem')).toHaveLength(10);
    expect(screen.getByText(codes[3] ?? '')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'I have saved them' }));
    expect(done).toBe(true);
  });
});
