// First-load weight and time to a usable input, in Debian's Chromium, for any chat front end
// that signs in with an e-mail and password form and then shows a `#chat-input` box (ReChat, and
// Open WebUI for comparison). Prints one JSON object.
//
//   node bench/first_load.mjs --url http://127.0.0.1:8097 --email admin@example.com \
//     --password admin-password-1 [--runs 5] [--cpu-slowdown 4]
//
// Per run, with the browser cache off (a first visit): the sign-in page until its password box is
// usable, then, signed in, the chat page until `#chat-input` accepts typing. `kb_transferred` is
// what crossed the wire (compressed only if the server compresses: `rechat dev` does not, nginx
// in production does), `kb_gzipped` every body as gzip would send it (the same measure for any
// server), requests every response the page loaded. Figures are medians over runs;
// `--cpu-slowdown` throttles the page's CPU like a slower laptop or phone (CDP).
import { createRequire } from 'node:module'
import { parseArgs } from 'node:util'
import { gzipSync } from 'node:zlib'

const require = createRequire(new URL('../web/package.json', import.meta.url))
const { chromium } = require('playwright-core')

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    email: { type: 'string' },
    password: { type: 'string' },
    runs: { type: 'string', default: '5' },
    'cpu-slowdown': { type: 'string', default: '1' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
  },
})
if (!values.url || !values.email || !values.password) {
  console.error('usage: node bench/first_load.mjs --url URL --email E --password P [--runs N]')
  process.exit(2)
}
const base = values.url.replace(/\/$/, '')
const slowdown = Number(values['cpu-slowdown'])

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

// Wire bytes and responses of one navigation, counted by the DevTools protocol.
async function measured(page, action) {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Network.enable')
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true })
  if (slowdown > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: slowdown })
  let bytes = 0
  let requests = 0
  cdp.on('Network.loadingFinished', (event) => {
    bytes += event.encodedDataLength
    requests += 1
  })
  const bodies = []
  const onResponse = (response) => bodies.push(response.body().catch(() => Buffer.alloc(0)))
  page.on('response', onResponse)
  const started = performance.now()
  await action()
  const ms = performance.now() - started
  page.off('response', onResponse)
  await cdp.detach()
  const gzipped = (await Promise.all(bodies)).reduce((sum, body) => sum + gzipSync(body).length, 0)
  return { ms, bytes, gzipped, requests }
}

async function usable(page, selector) {
  const box = page.locator(selector).first()
  await box.waitFor({ state: 'visible', timeout: 60_000 })
  // usable = it takes a keystroke (enabled and focusable), not only painted
  await page.waitForFunction(
    (sel) => {
      const el = document.querySelector(sel)
      return el && !el.disabled && !el.closest('[inert]')
    },
    selector,
    { timeout: 60_000 },
  )
  await box.focus()
}

async function oneRun(browser) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } })
  const page = await context.newPage()
  const signIn = await measured(page, async () => {
    await page.goto(`${base}/auth`, { waitUntil: 'commit' })
    await usable(page, 'input[type="password"]')
  })
  await page.fill('input[type="email"]', values.email)
  await page.fill('input[type="password"]', values.password)
  await page.keyboard.press('Enter')
  await page.locator('#chat-input').first().waitFor({ state: 'visible', timeout: 60_000 })
  const chat = await measured(page, async () => {
    await page.goto(`${base}/`, { waitUntil: 'commit' })
    await usable(page, '#chat-input')
  })
  await context.close()
  return { signIn, chat }
}

const browser = await chromium.launch({
  executablePath: values.chromium,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
})
const runs = []
try {
  await oneRun(browser) // warm-up: the server's own caches, not the browser's
  for (let i = 0; i < Number(values.runs); i += 1) runs.push(await oneRun(browser))
} finally {
  await browser.close()
}
const figure = (page, key) => median(runs.map((run) => run[page][key]))
console.log(
  JSON.stringify({
    url: base,
    runs: runs.length,
    cpu_slowdown: slowdown,
    sign_in: {
      ms_to_usable_input: Math.round(figure('signIn', 'ms')),
      kb_transferred: Math.round(figure('signIn', 'bytes') / 1024),
      kb_gzipped: Math.round(figure('signIn', 'gzipped') / 1024),
      requests: figure('signIn', 'requests'),
    },
    chat: {
      ms_to_usable_input: Math.round(figure('chat', 'ms')),
      kb_transferred: Math.round(figure('chat', 'bytes') / 1024),
      kb_gzipped: Math.round(figure('chat', 'gzipped') / 1024),
      requests: figure('chat', 'requests'),
    },
  }),
)
