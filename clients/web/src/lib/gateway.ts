/**
 * The WebSocket gateway (api.md "WebSocket gateway"): one connection carrying every readable
 * event. The token travels as the subprotocol `hearth.bearer.<token>` (browsers cannot set
 * headers). The last `s` received is kept, so a reconnect after a dropped network or a node
 * restart asks for `resume_from=<s>` and misses nothing (api.md "Resume").
 */
import { create } from 'zustand';

export type GatewayStatus = 'offline' | 'connecting' | 'live' | 'reconnecting';

interface ConnectionState {
  status: GatewayStatus;
}

export const useConnection = create<ConnectionState>()(() => ({ status: 'offline' }));

export interface Frame {
  readonly op: string;
  readonly d: Record<string, unknown>;
  readonly s: number | null;
}

export interface GatewayOptions {
  /**
   * The access token for the handshake; `fresh` after a connection that was refused or lost
   * before `hello`, when the token may have expired.
   */
  token(fresh: boolean): Promise<string | null>;
  onFrame(frame: Frame): void;
  /** `ready` with `resumed: false`: the client re-reads over REST what it shows. */
  onResync(): void;
  url?: string;
}

const MAX_BACKOFF_MS = 5000;

export class Gateway {
  #socket: WebSocket | null = null;
  #position: number | null = null;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #attempts = 0;
  #greeted = true;
  #closed = false;
  readonly #options: GatewayOptions;

  constructor(options: GatewayOptions) {
    this.#options = options;
  }

  /** The log position the next connection resumes from. */
  get position(): number | null {
    return this.#position;
  }

  start(): void {
    this.#closed = false;
    void this.#connect();
  }

  stop(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    clearInterval(this.#heartbeat);
    this.#socket?.close(1000);
    this.#socket = null;
    useConnection.setState({ status: 'offline' });
  }

  send(op: string, d: Record<string, unknown>): void {
    if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify({ op, d }));
  }

  async #connect(): Promise<void> {
    const token = await this.#options.token(!this.#greeted);
    this.#greeted = false;
    if (this.#closed) return;
    if (token === null) {
      this.#scheduleReconnect();
      return;
    }
    const base = this.#options.url ?? globalThis.location.origin.replace(/^http/, 'ws');
    const resume = this.#position === null ? '' : `?resume_from=${this.#position}`;
    const socket = new WebSocket(`${base}/api/v1/gateway${resume}`, [
      'hearth.v0',
      `hearth.bearer.${token}`,
    ]);
    this.#socket = socket;
    socket.onmessage = (event: MessageEvent<string>) => {
      this.#receive(JSON.parse(event.data) as Frame);
    };
    socket.onclose = () => {
      if (this.#socket !== socket) return;
      clearInterval(this.#heartbeat);
      this.#socket = null;
      if (!this.#closed) this.#scheduleReconnect();
    };
  }

  #receive(frame: Frame): void {
    switch (frame.op) {
      case 'hello': {
        this.#greeted = true;
        const interval = Number(frame.d.heartbeat_interval_ms);
        clearInterval(this.#heartbeat);
        this.#heartbeat = setInterval(() => {
          this.send('heartbeat', {});
        }, interval);
        return;
      }
      case 'ready': {
        this.#attempts = 0;
        const position = Number(frame.d.position);
        if (this.#position === null || position > this.#position) this.#position = position;
        useConnection.setState({ status: 'live' });
        if (frame.d.resumed === false) this.#options.onResync();
        return;
      }
      case 'dispatch':
        // Across replay and live frames `s` increases strictly; a smaller one was already seen.
        if (frame.s !== null && this.#position !== null && frame.s <= this.#position) return;
        if (frame.s !== null) this.#position = frame.s;
        this.#options.onFrame(frame);
        return;
      default:
        this.#options.onFrame(frame);
    }
  }

  #scheduleReconnect(): void {
    useConnection.setState({ status: 'reconnecting' });
    const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** this.#attempts);
    this.#attempts += 1;
    this.#retry = setTimeout(() => void this.#connect(), delay);
  }
}
