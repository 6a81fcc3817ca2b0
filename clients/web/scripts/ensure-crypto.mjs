// @hearth/crypto is a file: dependency published from its dist/. In a fresh clone that package
// may not be built yet, or built from older sources, so build it (with its own locked
// dependencies) before anything imports it.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const crypto = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'crypto');
const run = (command) => execSync(command, { cwd: crypto, stdio: 'inherit' });
if (!existsSync(join(crypto, 'node_modules'))) run('npm ci --no-audit --no-fund --loglevel=error');
const built = join(crypto, 'dist', 'index.js');
const newestSource = readdirSync(join(crypto, 'src'), { recursive: true })
  .map((name) => statSync(join(crypto, 'src', name)).mtimeMs)
  .reduce((a, b) => Math.max(a, b), 0);
if (!existsSync(built) || statSync(built).mtimeMs < newestSource) {
  run('npm run build');
  // tsc -b leaves unchanged outputs untouched: mark the build as newer than its sources.
  const now = new Date();
  utimesSync(built, now, now);
}
