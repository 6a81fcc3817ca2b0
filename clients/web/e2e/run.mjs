// End-to-end test in real Chromium (Debian's /usr/bin/chromium driven by playwright-core): two
// people in two browser contexts use the built client served by a node of their own. Writes
// screenshots of the main views to <repo>/artifacts/web/.
import { createHmac } from 'node:crypto';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { TestNode } from './node.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const shots = join(here, '..', '..', '..', 'artifacts', 'web');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const TIMEOUT = 15_000;
const PASSWORD = 'a hearth of our own 2026';

function check(condition, what) {
  if (!condition) throw new Error(`failed: ${what}`);
  console.log(`ok - ${what}`);
  lastStep = what;
}

if (!existsSync(join(here, '..', 'dist', 'index.html'))) {
  throw new Error('clients/web/dist is missing: run `npm run build` first');
}
mkdirSync(shots, { recursive: true });

const node = await TestNode.create();
// Playwright gives the browser a fresh temporary profile of its own.
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});

/** Console errors and requests to other hosts, except while the node is down on purpose. */
const problems = [];
let lastStep = 'start';
let nodeDown = false;
/** [status, path] of refusals a step causes on purpose. */
const expectedRefusals = [];

const people = [];

async function person(name) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  // Chromium logs every 4xx/5xx answer as a console error; those are checked as responses.
  page.on('console', (message) => {
    const text = message.text();
    if (message.type() === 'error' && !nodeDown && !text.startsWith('Failed to load resource')) {
      problems.push(`${name} console: ${text}`);
    }
  });
  page.on('response', (response) => {
    const expected = expectedRefusals.some(
      ([status, path]) => response.status() === status && response.url().endsWith(path),
    );
    if (response.status() >= 400 && !nodeDown && !expected) {
      const request = response.request();
      problems.push(
        `${name} got ${response.status()} from ${request.method()} ${request.url()} after "${lastStep}"`,
      );
    }
  });
  page.on('pageerror', (error) => problems.push(`${name} page error: ${error.message}`));
  page.on('request', (request) => {
    const url = request.url();
    if (
      !url.startsWith(node.url) &&
      !url.startsWith(node.url.replace('http', 'ws')) &&
      !url.startsWith(`blob:${node.url}`) &&
      !url.startsWith('data:')
    ) {
      problems.push(`${name} requested ${url}`);
    }
  });
  const username = `${name}${Date.now().toString(36)}`;
  const user = { name, username, context, page };
  people.push(user);
  return user;
}

async function register(user) {
  const { page } = user;
  await page.goto(`${node.url}/register`);
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('navigation', { name: 'Servers' }).waitFor();
}

const messages = (page) => page.getByRole('list', { name: 'Messages' });
/** The message whose own text (not a quoted reply) contains `text`. */
const messageWith = (page, text) =>
  messages(page)
    .getByRole('listitem')
    .filter({ has: page.locator('.body', { hasText: text }) });

/** Calls the API as the page's user, with a token from the page's own refresh cookie. */
function apiAs(page, method, path, body) {
  return page.evaluate(
    async ([method, path, body]) => {
      const refresh = await fetch('/api/v1/auth/refresh', { method: 'POST' });
      const { access_token } = await refresh.json();
      const response = await fetch(path, {
        method,
        headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return response.status === 204 ? null : response.json();
    },
    [method, path, body],
  );
}

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) for `step` steps from now: what an authenticator shows. */
function totp(base32Secret, step = 0) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of base32Secret.replace(/=+$/, '')) {
    bits += alphabet.indexOf(char).toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30_000) + step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/**
 * Files made in the page, dropped on the message pane or pasted into the composer as a person
 * would. A spec is {name, type} with `png: true` (a drawn image), `text`, or `size` (patterned
 * bytes). Progress values of the upload bars are recorded in `window.hearthProgress`.
 */
async function dropFiles(page, specs, how) {
  await page.evaluate(
    async ([specs, how]) => {
      const seen = (window.hearthProgress = []);
      new MutationObserver((changes) => {
        for (const change of changes) {
          const bars = [change.target, ...change.addedNodes].flatMap((n) =>
            n instanceof Element
              ? [...(n.matches('progress') ? [n] : n.querySelectorAll('progress'))]
              : [],
          );
          for (const bar of bars) seen.push(Number(bar.getAttribute('value')));
        }
      }).observe(document.body, { subtree: true, childList: true, attributeFilter: ['value'] });
      const data = new DataTransfer();
      for (const spec of specs) {
        let blob;
        if (spec.png) {
          const canvas = document.createElement('canvas');
          canvas.width = 64;
          canvas.height = 48;
          const g = canvas.getContext('2d');
          g.fillStyle = '#b5462a';
          g.fillRect(0, 0, 64, 48);
          blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
        } else if (spec.text !== undefined) {
          blob = new Blob([spec.text]);
        } else {
          const bytes = new Uint8Array(spec.size);
          for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) % 251;
          blob = new Blob([bytes]);
        }
        data.items.add(new File([blob], spec.name, { type: spec.type }));
      }
      if (how === 'paste') {
        const box = document.querySelector('.composer textarea');
        box.dispatchEvent(
          new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }),
        );
      } else {
        const pane = document.querySelector('main.pane');
        for (const type of ['dragenter', 'dragover', 'drop']) {
          pane.dispatchEvent(
            new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }),
          );
        }
      }
    },
    [specs, how],
  );
}

/** The patterned bytes `dropFiles` makes for `{size}`. */
function patterned(size) {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) % 251;
  return bytes;
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** Clicks a Download button and returns the bytes the browser saved. */
async function download(page, button) {
  const [saved] = await Promise.all([page.waitForEvent('download'), button.click()]);
  return { name: saved.suggestedFilename(), bytes: readFileSync(await saved.path()) };
}

/** Waits until an attachment's thumbnail has been decoded as an image. */
async function thumbnailShown(page, message, name) {
  const image = message.getByRole('img', { name });
  await image.waitFor();
  await page.waitForFunction(
    (img) => img.complete && img.naturalWidth === 64,
    await image.elementHandle(),
  );
}

async function send(page, text) {
  const box = page.locator('.composer textarea');
  await box.fill(text);
  await box.press('Enter');
}

try {
  const alice = await person('alice');
  const bob = await person('bob');

  // Accounts.
  await alice.page.goto(node.url);
  await alice.page.getByRole('heading', { name: 'Sign in to Hearth' }).waitFor();
  await alice.page.screenshot({ path: join(shots, 'sign-in.png') });
  await register(alice);
  await register(bob);
  check(true, 'two people register in two browser contexts');

  // The session survives a reload through the refresh cookie; the access token is not stored.
  await alice.page.reload();
  await alice.page.getByRole('navigation', { name: 'Servers' }).waitFor();
  const stored = await alice.page.evaluate(
    () => JSON.stringify(localStorage) + JSON.stringify(sessionStorage),
  );
  check(!stored.includes('eyJ'), 'a reload keeps the session without storing the access token');

  // A server and an invite.
  await alice.page.getByRole('button', { name: 'Create a server' }).click();
  await alice.page.getByLabel('Server name').fill('Hearth Test');
  await alice.page.getByRole('button', { name: 'Create', exact: true }).click();
  await alice.page.getByRole('heading', { name: '# general' }).waitFor();
  await alice.page.getByRole('button', { name: 'Invite' }).click();
  const code = (await alice.page.getByTestId('invite-code').textContent()).trim();
  await alice.page.getByRole('button', { name: 'Close' }).click();
  check(code.length === 10, 'the owner creates an invite');

  await bob.page.getByRole('button', { name: 'Join a server' }).click();
  await bob.page.getByLabel('Invite code or link').fill(code);
  await bob.page.getByText('You are invited to').waitFor();
  await bob.page.getByRole('button', { name: 'Join', exact: true }).click();
  await bob.page.getByRole('heading', { name: '# general' }).waitFor();
  check(true, 'the second person joins with the invite code');

  // Members and presence.
  const aliceMembers = alice.page.getByRole('complementary', { name: 'Members' });
  await aliceMembers.locator('.member.online', { hasText: bob.username }).waitFor();
  check(true, 'the member list shows the newcomer online');

  // Real-time chat, markdown, typing.
  await send(alice.page, 'hello **bob**, see `code`');
  await messageWith(bob.page, 'hello bob').locator('strong', { hasText: 'bob' }).waitFor();
  check(true, 'a message arrives in real time with its markdown rendered');
  await bob.page.locator('.composer textarea').fill('typing…');
  await alice.page.getByText(`${bob.username} is typing…`).waitFor();
  check(true, 'the typing indicator shows');
  await bob.page.locator('.composer textarea').press('Enter');
  await messageWith(alice.page, 'typing…').waitFor();

  // A multi-line message with Shift+Enter.
  const box = bob.page.locator('.composer textarea');
  await box.fill('line one');
  await box.press('Shift+Enter');
  await box.type('line two');
  await box.press('Enter');
  await messageWith(alice.page, 'line one\nline two').waitFor();
  check(true, 'Shift+Enter makes a new line, Enter sends');

  // Reply, edit, delete.
  const original = messageWith(bob.page, 'hello bob');
  await original.hover();
  await original.getByRole('button', { name: 'Reply' }).click();
  await send(bob.page, 'a reply');
  await messageWith(alice.page, 'a reply')
    .locator('.reply-preview', { hasText: 'hello bob' })
    .waitFor();
  check(true, 'a reply shows what it answers');

  const mine = messageWith(alice.page, 'hello bob');
  await mine.hover();
  await mine.getByRole('button', { name: 'Edit message' }).click();
  await send(alice.page, 'hello again, edited');
  await messageWith(bob.page, 'hello again, edited').getByText('(edited)').waitFor();
  check(true, 'an edit reaches the other person');

  await send(alice.page, 'to be deleted');
  await messageWith(bob.page, 'to be deleted').waitFor();
  const doomed = messageWith(alice.page, 'to be deleted');
  await doomed.hover();
  await doomed.getByRole('button', { name: 'Delete message' }).click();
  await messageWith(bob.page, 'to be deleted').waitFor({ state: 'detached' });
  await messages(bob.page).getByText('Message deleted').waitFor();
  check(true, 'a deletion reaches the other person');

  // Files in a channel: dropped on the pane, uploaded with a progress bar, sent with the text.
  const BIG = 3_000_000;
  await dropFiles(
    alice.page,
    [
      { name: 'hearth.png', type: 'image/png', png: true },
      { name: 'notes.bin', type: 'application/octet-stream', size: BIG },
    ],
    'drop',
  );
  const attached = alice.page.getByRole('list', { name: 'Attached files' });
  await attached.getByRole('progressbar', { name: 'Upload of notes.bin' }).waitFor();
  await alice.page.waitForFunction(() =>
    [...document.querySelectorAll('.pending-file progress')].every((bar) => bar.value === 100),
  );
  const progress = await alice.page.evaluate(() => window.hearthProgress);
  check(
    progress.length >= 2 && progress[0] < 100 && progress.at(-1) === 100,
    `dropped files upload with a progress bar (values seen: ${[...new Set(progress)].join(', ')})`,
  );
  await alice.page.screenshot({ path: join(shots, 'upload.png') });
  await send(alice.page, 'two files for you');
  const withFiles = messageWith(bob.page, 'two files for you');
  await thumbnailShown(bob.page, withFiles, 'hearth.png');
  const saved = await download(
    bob.page,
    withFiles.getByRole('button', { name: 'Download notes.bin, 3.0 MB' }),
  );
  check(
    saved.name === 'notes.bin' && sha256(saved.bytes) === sha256(patterned(BIG)),
    'the other person sees the image inline and downloads the file byte for byte',
  );
  await alice.page.screenshot({ path: join(shots, 'channel.png') });

  // Channels: the owner creates a private channel, renames it, and creates a public one.
  check(
    (await bob.page.getByRole('button', { name: 'Create a channel' }).count()) === 0,
    'a member is not offered to create channels',
  );
  await alice.page.getByRole('button', { name: 'Create a channel' }).click();
  await alice.page.getByLabel('Channel name').fill('plans');
  await alice.page.getByLabel('Topic').fill('Where we plan');
  await alice.page.getByLabel('Private: moderators and the owner').check();
  await alice.page.getByRole('button', { name: 'Create channel' }).click();
  await alice.page.getByRole('heading', { name: '# plans' }).waitFor();
  await alice.page.locator('.pane-header .topic', { hasText: 'Where we plan' }).waitFor();
  await alice.page.getByRole('button', { name: 'Edit channel' }).click();
  await alice.page.getByLabel('Channel name').fill('roadmap');
  await alice.page.getByRole('button', { name: 'Save' }).click();
  await alice.page.getByRole('heading', { name: '# roadmap' }).waitFor();
  await alice.page.getByRole('link', { name: 'Private channel roadmap' }).waitFor();
  await alice.page.getByRole('button', { name: 'Create a channel' }).click();
  await alice.page.getByLabel('Channel name').fill('random');
  await alice.page.getByRole('button', { name: 'Create channel' }).click();
  await bob.page.getByRole('link', { name: 'Channel random' }).waitFor();
  check(
    (await bob.page.getByRole('link', { name: /roadmap|plans/ }).count()) === 0,
    'the owner creates and renames channels; members see the public one, not the private one',
  );
  await alice.page.getByRole('link', { name: 'Channel general' }).click();
  await alice.page.getByRole('heading', { name: '# general' }).waitFor();

  // An encrypted DM, started from the member list.
  await aliceMembers
    .getByRole('button', { name: `Send ${bob.username} an encrypted direct message` })
    .click();
  await alice.page.getByRole('img', { name: 'End-to-end encrypted' }).waitFor();
  await send(alice.page, 'a secret for bob');
  await messageWith(alice.page, 'a secret for bob').waitFor();
  await bob.page.getByRole('link', { name: 'Direct messages, unread messages' }).click();
  await bob.page
    .getByRole('link', { name: `Direct message with ${alice.username}, encrypted, unread` })
    .click();
  await messageWith(bob.page, 'a secret for bob').waitFor();
  await send(bob.page, 'a secret for alice');
  await messageWith(alice.page, 'a secret for alice').waitFor();
  check(true, 'an end-to-end encrypted DM is read on both sides');

  // Encrypted files: pasted into the DM composer, encrypted before upload, decrypted by Bob.
  const PLAN = 'the secret plan: meet at the hearth';
  await dropFiles(
    alice.page,
    [
      { name: 'plan.txt', type: 'text/plain', text: PLAN },
      { name: 'pixel.png', type: 'image/png', png: true },
    ],
    'paste',
  );
  await alice.page.waitForFunction(
    () =>
      document.querySelectorAll('.pending-file.done').length === 2 ||
      document.querySelector('.pending-file.failed') !== null,
  );
  await send(alice.page, 'encrypted files');
  const sealedFiles = messageWith(bob.page, 'encrypted files');
  await thumbnailShown(bob.page, sealedFiles, 'pixel.png');
  const plan = await download(
    bob.page,
    sealedFiles.getByRole('button', { name: /^Download plan\.txt/ }),
  );
  check(
    plan.name === 'plan.txt' && plan.bytes.toString() === PLAN,
    'an encrypted file in a DM is downloaded and decrypted by the other person',
  );
  const dmId = new URL(alice.page.url()).pathname.split('/').at(-1);
  const blobs = await alice.page.evaluate(async (channel) => {
    const { access_token } = await (await fetch('/api/v1/auth/refresh', { method: 'POST' })).json();
    const headers = { authorization: `Bearer ${access_token}` };
    const page = await (await fetch(`/api/v1/channels/${channel}/messages`, { headers })).json();
    const ids = page.flatMap((m) => m.attachments);
    return Promise.all(
      ids.map(async (id) => {
        const response = await fetch(`/api/v1/files/${id}`, { headers });
        return { type: response.headers.get('content-type'), text: await response.text() };
      }),
    );
  }, dmId);
  check(
    blobs.length === 2 &&
      blobs.every((b) => b.type === 'application/octet-stream' && !b.text.includes('secret plan')),
    'the node holds DM files only as opaque ciphertext',
  );

  // The node only ever saw ciphertext.
  const served = await apiAs(alice.page, 'GET', `/api/v1/channels/${dmId}/messages`);
  check(
    served.length === 3 && served.every((m) => m.content === null && m.ciphertext.length > 0),
    'the node stores DM messages only as ciphertext',
  );

  // Safety numbers.
  const numbers = [];
  for (const user of [alice, bob]) {
    await user.page.getByRole('button', { name: 'Safety number' }).click();
    const digits = (await user.page.getByTestId('safety-number').textContent()).replace(/\s/g, '');
    await user.page.getByRole('img', { name: 'QR code of the safety number' }).waitFor();
    numbers.push(digits);
  }
  await alice.page.screenshot({ path: join(shots, 'safety-number.png') });
  check(
    /^\d{60}$/.test(numbers[0]) && numbers[0] === numbers[1],
    'both see the same 60-digit safety number and a QR code',
  );
  for (const user of [alice, bob])
    await user.page.getByRole('button', { name: 'Mark as verified' }).click();
  await bob.page.screenshot({ path: join(shots, 'dm.png') });

  // DM history survives a reload: texts this device read or sent are kept, sealed, in IndexedDB
  // (the ratchet keys that decrypted them are spent).
  for (const user of [alice, bob]) {
    await user.page.reload();
    for (const text of ['a secret for bob', 'a secret for alice', 'encrypted files']) {
      await messageWith(user.page, text).waitFor();
    }
    await thumbnailShown(user.page, messageWith(user.page, 'encrypted files'), 'pixel.png');
    const unreadable = await messages(user.page).getByText('this device cannot read').count();
    if (unreadable !== 0) throw new Error(`${user.name} has ${unreadable} unreadable messages`);
  }
  const sealedHistory = await bob.page.evaluate(
    () =>
      new Promise((resolve) => {
        const names = indexedDB.databases();
        names.then(async (list) => {
          const name = list.find((d) => d.name.startsWith('hearth-dm-history-')).name;
          const open = indexedDB.open(name);
          open.onsuccess = () => {
            const read = open.result.transaction('plaintexts').objectStore('plaintexts').getAll();
            read.onsuccess = () => {
              const bytes = read.result.map((r) => new TextDecoder().decode(r.ciphertext));
              open.result.close();
              resolve({
                count: read.result.length,
                clear: bytes.some((b) => b.includes('secret')),
              });
            };
          };
        });
      }),
  );
  check(
    sealedHistory.count >= 3 && !sealedHistory.clear,
    'DM history survives a reload on both sides, sealed at rest in IndexedDB',
  );

  // Bob signs in on a new device (a fresh browser profile): new identity key, and Alice, in
  // their DM, is warned at once (IdentityKeyPublished, e2ee.md).
  const device = await browser.newContext();
  const second = await device.newPage();
  second.setDefaultTimeout(TIMEOUT);
  await second.goto(node.url);
  await second.getByLabel('Username').fill(bob.username);
  await second.getByLabel('Password').fill(PASSWORD);
  await second.getByRole('button', { name: 'Sign in' }).click();
  await second.getByRole('navigation', { name: 'Servers' }).waitFor();
  await alice.page.getByRole('alert').filter({ hasText: 'identity key changed' }).waitFor();
  await alice.page.screenshot({ path: join(shots, 'identity-key-changed.png') });
  check(true, "a DM partner's new identity key is shown as a warning");
  await device.close();

  // Back to #general for the restart.
  for (const user of [alice, bob]) {
    await user.page.getByRole('link', { name: 'Hearth Test' }).click();
    await user.page.getByRole('heading', { name: '# general' }).waitFor();
  }

  // The node restarts: the banner shows, then the gateway resumes and nothing is lost or doubled.
  nodeDown = true;
  await node.stop();
  await alice.page.getByTestId('reconnect-banner').waitFor();
  await bob.page.getByTestId('reconnect-banner').waitFor();
  await alice.page.screenshot({ path: join(shots, 'reconnecting.png') });
  check(true, 'the reconnect banner appears when the node goes away');
  await node.start();
  await alice.page.getByTestId('reconnect-banner').waitFor({ state: 'detached', timeout: 30_000 });
  await bob.page.getByTestId('reconnect-banner').waitFor({ state: 'detached', timeout: 30_000 });
  nodeDown = false;
  check(true, 'the banner goes once the node is back');
  await send(alice.page, 'after the restart');
  await messageWith(bob.page, 'after the restart').waitFor();
  await send(bob.page, 'still here');
  await messageWith(alice.page, 'still here').waitFor();
  for (const user of [alice, bob]) {
    for (const text of ['hello again, edited', 'a reply', 'after the restart', 'still here']) {
      const count = await messageWith(user.page, text).count();
      if (count !== 1) throw new Error(`${user.name} shows "${text}" ${count} times`);
    }
  }
  check(true, 'after the restart both keep chatting, nothing lost or duplicated');

  // Narrow screens and the dark theme.
  await bob.page.setViewportSize({ width: 360, height: 740 });
  await bob.page.getByRole('button', { name: 'Show channels' }).waitFor();
  await bob.page.screenshot({ path: join(shots, 'narrow-360.png') });
  const overflow = await bob.page.evaluate(() => document.documentElement.scrollWidth > innerWidth);
  check(!overflow, 'usable at 360 px wide without horizontal scrolling');
  await bob.page.getByRole('button', { name: 'Show channels' }).click();
  await bob.page.getByRole('button', { name: /Switch to (dark|light) theme/ }).click();
  await bob.page.screenshot({ path: join(shots, 'narrow-360-other-theme.png') });

  // Upward infinite scroll: older pages load as the list is scrolled to the top.
  const general = new URL(alice.page.url()).pathname.split('/').at(-1);
  for (let i = 1; i <= 70; i++) {
    await apiAs(bob.page, 'POST', `/api/v1/channels/${general}/messages`, { content: `bulk ${i}` });
  }
  await messageWith(alice.page, 'bulk 70').waitFor();
  await alice.page.reload();
  await messageWith(alice.page, 'bulk 70').waitFor();
  check(
    (await messageWith(alice.page, /^bulk 1$/).count()) === 0,
    'a channel opens on its newest page',
  );
  for (let i = 0; i < 10 && (await messageWith(alice.page, /^bulk 1$/).count()) === 0; i++) {
    await messages(alice.page).evaluate((list) => list.scrollTo(0, 0));
    await alice.page.waitForTimeout(300);
  }
  await messageWith(alice.page, 'hello again, edited').waitFor();
  check(
    (await messageWith(alice.page, /^bulk 1$/).count()) === 1,
    'scrolling up loads older messages',
  );

  // Two-factor sign-in: a TOTP prompt after the password.
  // Settings: Bob's sessions (this browser, and the second device's), revoking one.
  await bob.page.setViewportSize({ width: 1280, height: 800 });
  await bob.page.getByRole('link', { name: 'Settings' }).click();
  const sessions = bob.page.getByRole('list', { name: 'Active sessions' }).getByRole('listitem');
  await sessions.nth(1).waitFor();
  check(
    (await sessions.count()) === 2 &&
      (await sessions.filter({ hasText: 'This browser' }).count()) === 1,
    'the settings page lists the active sessions, this browser marked',
  );
  await sessions.getByRole('button', { name: /^Revoke/ }).click();
  await bob.page.waitForFunction(
    () => document.querySelectorAll('[aria-label="Active sessions"] li').length === 1,
  );
  const remaining = await apiAs(bob.page, 'GET', '/api/v1/auth/sessions');
  check(
    remaining.length === 1 && remaining[0].current,
    'revoking another session ends it on the node',
  );

  // TOTP set up from the settings page: QR code and secret, a confirming code, recovery codes.
  const totpState = bob.page.getByTestId('totp-state');
  await totpState.filter({ hasText: 'off' }).waitFor();
  check(
    (await bob.page.getByRole('button', { name: 'Turn off the authenticator app' }).count()) ===
      0 &&
      (await bob.page.getByRole('button', { name: 'Generate new recovery codes' }).count()) === 0,
    'settings show TOTP off and offer only to set it up; no recovery codes without it',
  );
  await bob.page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  await bob.page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
  const secret = (await bob.page.getByTestId('totp-secret').textContent()).trim();
  await bob.page.getByLabel('Code from the app').fill(totp(secret));
  await bob.page.getByRole('button', { name: 'Confirm' }).click();
  const recovery = bob.page.getByTestId('recovery-codes').getByRole('listitem');
  await recovery.nth(9).waitFor();
  const codes = (await recovery.allTextContents()).map((c) => c.trim());
  await bob.page.screenshot({ path: join(shots, 'settings.png') });
  check(
    (await recovery.count()) === 10 &&
      /^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/i.test((await recovery.first().textContent()).trim()),
    'an authenticator app is set up in settings, and ten recovery codes are shown',
  );
  await bob.page.getByRole('button', { name: 'I have saved them' }).click();
  check((await recovery.count()) === 0, 'the recovery codes are shown only once');
  await totpState.filter({ hasText: 'on' }).waitFor();
  await bob.page.getByTestId('recovery-codes-left').filter({ hasText: '10 recovery' }).waitFor();
  check(
    (await bob.page.getByRole('button', { name: 'Set up an authenticator app' }).count()) === 0 &&
      (await bob.page.getByRole('button', { name: 'Turn off the authenticator app' }).count()) ===
        1,
    'settings show TOTP on and offer only to turn it off, with ten recovery codes left',
  );

  // A new set of recovery codes from the settings page replaces the first one.
  const firstSet = await apiAs(bob.page, 'GET', '/api/v1/auth/2fa');
  await bob.page.getByRole('button', { name: 'Generate new recovery codes' }).click();
  await bob.page.getByLabel('Password to replace your recovery codes').fill('not the password');
  expectedRefusals.push([403, '/api/v1/auth/2fa/recovery-codes']);
  await bob.page.getByRole('button', { name: 'Replace recovery codes' }).click();
  await bob.page.getByRole('alert').filter({ hasText: 'Wrong password.' }).waitFor();
  check((await recovery.count()) === 0, 'a wrong password makes no new recovery codes');
  const oldCode = codes[0];
  await bob.page.getByLabel('Password to replace your recovery codes').fill(PASSWORD);
  await bob.page.getByRole('button', { name: 'Replace recovery codes' }).click();
  await recovery.nth(9).waitFor();
  const newCodes = (await recovery.allTextContents()).map((c) => c.trim());
  check(
    newCodes.length === 10 && !newCodes.includes(oldCode) && firstSet.recovery_codes_left === 10,
    'generating new recovery codes in settings shows a new set of ten',
  );
  await bob.page.getByRole('button', { name: 'I have saved them' }).click();
  await bob.page.getByTestId('recovery-codes-left').filter({ hasText: '10 recovery' }).waitFor();
  await bob.page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await bob.page.getByRole('heading', { name: 'Sign in to Hearth' }).waitFor();
  await bob.page.getByLabel('Username').fill(bob.username);
  await bob.page.getByLabel('Password').fill(PASSWORD);
  // The right password of an account with a second factor is answered 401 two_factor_required.
  expectedRefusals.push([401, '/api/v1/auth/login']);
  await bob.page.getByRole('button', { name: 'Sign in' }).click();
  await bob.page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
  await bob.page.screenshot({ path: join(shots, 'two-factor.png') });
  // A code of the first recovery set no longer works: the new set replaced it.
  expectedRefusals.push([401, '/api/v1/auth/2fa/login']);
  await bob.page.getByLabel(/Code from your authenticator app/).fill(codes[1]);
  await bob.page.getByRole('button', { name: 'Verify' }).click();
  await bob.page.getByRole('alert').waitFor();
  check(
    (await bob.page.getByRole('heading', { name: 'Two-factor authentication' }).count()) === 1,
    'a recovery code of the replaced set is refused at sign-in',
  );
  // The code of the next step: the current one was spent enabling TOTP (auth.md "TOTP").
  await bob.page.getByLabel(/Code from your authenticator app/).fill(totp(secret, 1));
  await bob.page.getByRole('button', { name: 'Verify' }).click();
  await bob.page.getByRole('heading', { name: 'Settings' }).waitFor();
  check(true, 'sign-in with a second factor asks for the TOTP code');

  // A passkey as second factor, with Chromium's virtual authenticator standing in for a device.
  const cdp = await alice.context.newCDPSession(alice.page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  await alice.page.getByRole('link', { name: 'Settings' }).click();
  await alice.page.getByLabel('Passkey name').fill('Test authenticator');
  await alice.page.getByRole('button', { name: 'Add passkey' }).click();
  await alice.page.getByRole('status').filter({ hasText: 'Passkey added.' }).waitFor();
  await alice.page
    .getByRole('list', { name: 'Passkeys' })
    .getByText('Test authenticator')
    .waitFor();
  await alice.page.getByTestId('recovery-codes').getByRole('listitem').nth(9).waitFor();
  check(true, 'a passkey is added in settings and listed; the first comes with recovery codes');
  await alice.page.getByRole('button', { name: 'I have saved them' }).click();
  await alice.page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await alice.page.getByLabel('Username').fill(alice.username);
  await alice.page.getByLabel('Password').fill(PASSWORD);
  await alice.page.getByRole('button', { name: 'Sign in' }).click();
  await alice.page.getByRole('button', { name: 'Use a passkey' }).click();
  const passkeys = alice.page.getByRole('list', { name: 'Passkeys' });
  await passkeys.getByText('Test authenticator').waitFor();
  await passkeys.getByText(/last used (?!never)/).waitFor();
  check(true, 'sign-in with a passkey as second factor');

  // Sign out everywhere ends the session; a reload shows the sign-in page.
  // Loads still in flight when the sessions end are refused with 401, as they must be.
  expectedRefusals.push([401, '']);
  await alice.page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await alice.page.getByRole('heading', { name: 'Sign in to Hearth' }).waitFor();
  await alice.page.reload();
  await alice.page.getByRole('heading', { name: 'Sign in to Hearth' }).waitFor();
  check(true, 'sign out everywhere ends the session, also after a reload');

  check(
    problems.length === 0,
    `no console errors and no request to another host${problems.length ? `:\n${problems.join('\n')}` : ''}`,
  );
} catch (error) {
  for (const user of people)
    await user.page.screenshot({ path: join(shots, `failure-${user.name}.png`) });
  console.error(problems.join('\n'));
  throw error;
} finally {
  await browser.close();
  await node.destroy();
}
