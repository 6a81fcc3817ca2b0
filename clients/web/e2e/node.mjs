// A Hearth node for the browser tests: the repository's own `hearth serve` on a free loopback
// port and a throw-away data directory, stopped and started again on the same ones.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export class TestNode {
  static async create() {
    const node = new TestNode();
    node.dataDir = mkdtempSync(join(tmpdir(), 'hearth-web-e2e-'));
    node.port = await freePort();
    // localhost, not 127.0.0.1: the node's public origin names the WebAuthn relying party.
    node.url = `http://localhost:${node.port}`;
    await node.start();
    return node;
  }

  async start() {
    this.process = spawn(join(repo, '.venv', 'bin', 'hearth'), ['serve'], {
      cwd: repo,
      env: {
        ...process.env,
        HEARTH_DATA_DIR: this.dataDir,
        HEARTH_PORT: String(this.port),
        HEARTH_PUBLIC_ORIGIN: this.url,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.log = '';
    this.process.stderr.on('data', (chunk) => {
      this.log += chunk;
    });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (this.process.exitCode !== null) throw new Error(`the node exited:\n${this.log}`);
      try {
        if ((await fetch(`http://127.0.0.1:${this.port}/healthz`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`the node did not start:\n${this.log}`);
  }

  async stop() {
    if (!this.process || this.process.exitCode !== null) return;
    const exited = new Promise((resolve) => this.process.once('exit', resolve));
    this.process.kill('SIGTERM');
    await exited;
  }

  async destroy() {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
