import type { SafetyNumber } from '@hearth/crypto';
import QRCode from 'qrcode';
import { useEffect, useState } from 'react';
import { acknowledgeIdentity } from '../lib/e2ee';
import { usernameOf } from '../lib/names';
import { dmCrypto } from '../lib/session';
import { useAuth } from '../stores/auth';
import { Modal } from './Modal';

/**
 * The safety number of a DM (e2ee.md "Safety numbers"): 60 digits and a QR code both people
 * compare, in person or over another channel.
 */
export function SafetyNumberDialog({ peerId, onClose }: { peerId: string; onClose: () => void }) {
  const { userId, username, node } = useAuth();
  const [number, setNumber] = useState<SafetyNumber | null>(null);
  const [qr, setQr] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const peerName = usernameOf(peerId);
    const selfName = username ?? (userId === null ? null : usernameOf(userId));
    if (userId === null || node === null || peerName === null || selfName === null) return;
    dmCrypto()
      .safetyNumber(
        { userId, stableId: `${selfName}@${node}` },
        { userId: peerId, stableId: `${peerName}@${node}` },
      )
      .then(async (result) => {
        setNumber(result);
        setQr(
          await QRCode.toDataURL(result.qrText, {
            errorCorrectionLevel: 'M',
            margin: 1,
            width: 200,
          }),
        );
      })
      .catch(() => {
        setError('No safety number yet: they have not published keys.');
      });
  }, [peerId, userId, username, node]);

  return (
    <Modal title="Safety number" onClose={onClose}>
      {number ? (
        <>
          <p>Compare these numbers with your contact. If they match, nobody is in between.</p>
          <p
            className="safety-number"
            data-testid="safety-number"
            aria-label={`Safety number ${number.groups.join(' ')}`}
          >
            {number.groups.map((group, i) => (
              <span key={i}>{group}</span>
            ))}
          </p>
          {qr !== null && (
            <img
              className="qr"
              src={qr}
              alt="QR code of the safety number"
              width={200}
              height={200}
            />
          )}
          <button
            type="button"
            onClick={() => {
              acknowledgeIdentity(peerId);
              onClose();
            }}
          >
            Mark as verified
          </button>
        </>
      ) : (
        <p aria-busy={error === null}>{error ?? 'Computing…'}</p>
      )}
    </Modal>
  );
}
