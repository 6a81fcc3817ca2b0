import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Gateway, useConnection, type Frame } from '../src/lib/gateway';

/** A stand-in for the browser's WebSocket that records what the client opened. */
class ScriptedSocket {
  static opened: ScriptedSocket[] = [];
  static readonly OPEN = 1;
  readyState = 1;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  sent: string[] = [];

  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    ScriptedSocket.opened.push(this);
  }

  receive(op: string, d: Record<string, unknown>, s: number | null = null): void {
    this.onmessage?.({ data: JSON.stringify({ op, d, s }) });
  }

  send(text: string): void {
    this.sent.push(text);
  }

  close(): void {
    this.readyState = 3;
    this.onclose?.();
  }
}

beforeEach(() => {
  ScriptedSocket.opened = [];
  vi.useFakeTimers();
  vi.stubGlobal('WebSocket', ScriptedSocket);
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('Gateway', () => {
  it('authenticates by subprotocol and resumes from the last position after a drop', async () => {
    const frames: Frame[] = [];
    const tokens: boolean[] = [];
    const gateway = new Gateway({
      url: 'ws://node',
      token: (fresh) => {
        tokens.push(fresh);
        return Promise.resolve('tok');
      },
      onFrame: (frame) => frames.push(frame),
      onResync: () => undefined,
    });
    gateway.start();
    await vi.advanceTimersByTimeAsync(0);
    const first = ScriptedSocket.opened[0];
    expect(first?.url).toBe('ws://node/api/v1/gateway');
    expect(first?.protocols).toEqual(['hearth.v0', 'hearth.bearer.tok']);

    first?.receive('hello', { heartbeat_interval_ms: 30000, user_id: 'u' });
    first?.receive('ready', { position: 10, resumed: false });
    expect(useConnection.getState().status).toBe('live');
    first?.receive('dispatch', { type: 'MessagePosted' }, 11);
    first?.receive('dispatch', { type: 'MessagePosted' }, 11);
    first?.receive('dispatch', { type: 'MessagePosted' }, 12);
    expect(frames.map((f) => f.s)).toEqual([11, 12]);

    first?.close();
    expect(useConnection.getState().status).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(300);
    expect(ScriptedSocket.opened[1]?.url).toBe('ws://node/api/v1/gateway?resume_from=12');
    // The first connection was greeted, so its token was still good.
    expect(tokens).toEqual([false, false]);

    // Refused before `hello` (an expired token): the next attempt asks for a fresh token.
    ScriptedSocket.opened[1]?.close();
    await vi.advanceTimersByTimeAsync(600);
    expect(tokens).toEqual([false, false, true]);
    gateway.stop();
    expect(useConnection.getState().status).toBe('offline');
  });
});
