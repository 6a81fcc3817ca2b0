import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import {
  RecoveryCodeControls,
  RecoveryCodes,
  SessionList,
  TotpControls,
} from '../src/components/Settings';

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

describe('TotpControls', () => {
  function controls(enabled: boolean | null) {
    const clicked: string[] = [];
    render(
      <TotpControls
        enabled={enabled}
        onSetUp={() => clicked.push('set up')}
        onTurnOff={() => clicked.push('turn off')}
      />,
    );
    return clicked;
  }

  it('offers only to set up while TOTP is off', () => {
    const clicked = controls(false);
    expect(screen.getByTestId('totp-state').textContent).toBe('The authenticator app is off.');
    expect(screen.queryByRole('button', { name: 'Turn off the authenticator app' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Set up an authenticator app' }));
    expect(clicked).toEqual(['set up']);
  });

  it('offers only to turn off while TOTP is on', () => {
    const clicked = controls(true);
    expect(screen.getByTestId('totp-state').textContent).toBe('The authenticator app is on.');
    expect(screen.queryByRole('button', { name: 'Set up an authenticator app' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Turn off the authenticator app' }));
    expect(clicked).toEqual(['turn off']);
  });

  it('offers nothing until the state is known', () => {
    controls(null);
    expect(screen.queryAllByRole('button')).toHaveLength(0);
  });
});

describe('RecoveryCodeControls', () => {
  const totpOn = { totp_enabled: true, passkeys: 0, recovery_codes_left: 7 };

  it('offers no new codes to an account without a second factor', () => {
    render(
      <RecoveryCodeControls
        factors={{ totp_enabled: false, passkeys: 0, recovery_codes_left: 0 }}
        onRegenerate={() => Promise.resolve(true)}
      />,
    );
    expect(screen.queryByRole('button', { name: 'Generate new recovery codes' })).toBeNull();
    expect(screen.getByText(/come with a second factor/)).toBeTruthy();
  });

  it('counts the codes left, also for an account with only a passkey', () => {
    render(
      <RecoveryCodeControls
        factors={{ totp_enabled: false, passkeys: 1, recovery_codes_left: 0 }}
        onRegenerate={() => Promise.resolve(true)}
      />,
    );
    expect(screen.getByTestId('recovery-codes-left').textContent).toMatch(
      /^0 recovery codes left\. Generate new ones/,
    );
    expect(screen.getByRole('button', { name: 'Generate new recovery codes' })).toBeTruthy();
  });

  it('asks for the password and closes the form once the new set is made', async () => {
    const passwords: string[] = [];
    let made = false;
    render(
      <RecoveryCodeControls
        factors={totpOn}
        onRegenerate={(password) => {
          passwords.push(password);
          return Promise.resolve(made);
        }}
      />,
    );
    expect(screen.getByTestId('recovery-codes-left').textContent).toBe('7 recovery codes left.');
    expect(screen.queryByLabelText('Password to replace your recovery codes')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Generate new recovery codes' }));
    const field = screen.getByLabelText('Password to replace your recovery codes');
    fireEvent.change(field, { target: { value: 'wrong password' } });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Replace recovery codes' }));
      await Promise.resolve();
    });
    // Refused (a wrong password): the form stays for another try.
    expect(screen.getByLabelText('Password to replace your recovery codes')).toBeTruthy();
    made = true;
    fireEvent.change(screen.getByLabelText('Password to replace your recovery codes'), {
      target: { value: 'the right password' },
    });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Replace recovery codes' }));
      await Promise.resolve();
    });
    expect(passwords).toEqual(['wrong password', 'the right password']);
    expect(screen.queryByLabelText('Password to replace your recovery codes')).toBeNull();
  });
});
