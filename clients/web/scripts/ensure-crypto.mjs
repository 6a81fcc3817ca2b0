// @hearth/crypto is a file: dependency published from its dist/. In a fresh clone that package
// may not be built yet, so build it (with its own locked dependencies) before anything imports it.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const crypto = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'crypto');
const run = (command) => execSync(command, { cwd: crypto, stdio: 'inherit' });
if (!existsSync(join(crypto, 'node_modules'))) run('npm ci --no-audit --no-fund --loglevel=error');
if (!existsSync(join(crypto, 'dist', 'index.js'))) run('npm run build');
