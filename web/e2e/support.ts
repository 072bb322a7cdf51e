// Browser helpers for the end-to-end tests: Debian's Chromium through playwright-core, polling with deadlines.
import { mkdirSync, readdirSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

export const BASE_URL = (process.env.RECHAT_E2E_URL ?? '').replace(/\/$/, '')
export const DIFY_KEY = process.env.RECHAT_E2E_DIFY_KEY ?? 'app-emulator-chat'
export const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url))
const RUN = Date.now().toString(36)

export const admin = {
  name: 'Ada Admin',
  email: process.env.RECHAT_E2E_ADMIN_EMAIL ?? 'admin@example.com',
  password: process.env.RECHAT_E2E_ADMIN_PASSWORD ?? 'admin-password-1',
}
export const member = {
  name: 'Bob Member',
  email: `bob-${RUN}@example.com`,
  password: 'member-password-1',
}

export async function apiLogin(who: { email: string; password: string }): Promise<string> {
  const login = await fetch(`${BASE_URL}/api/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: who.email, password: who.password }),
  })
  if (!login.ok) throw new Error(`login failed: ${login.status}`)
  return ((await login.json()) as { access_token: string }).access_token
}

/**
 * The Dify (emulator) API the admin registers: RECHAT_E2E_DIFY_URL, else the emulator that
 * `rechat dev` started for its demo app (read from the admin's app list), else the default port.
 */
export async function difyUrl(): Promise<string> {
  if (process.env.RECHAT_E2E_DIFY_URL) return process.env.RECHAT_E2E_DIFY_URL
  const token = await apiLogin(admin)
  const apps = (await (
    await fetch(`${BASE_URL}/api/admin/apps`, { headers: { Authorization: `Bearer ${token}` } })
  ).json()) as {
    name: string
    base_url: string
  }[]
  return (
    apps.find((app) => app.name === 'Demo (Dify emulator)')?.base_url ?? 'http://127.0.0.1:8090/v1'
  )
}

/** Changes a password through the API (signs in, then POST /api/auth/me/password): revokes the user's other sessions. */
export async function changePassword(
  who: { email: string; password: string },
  next: string,
): Promise<void> {
  const access_token = await apiLogin(who)
  const change = await fetch(`${BASE_URL}/api/auth/me/password`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${access_token}` },
    body: JSON.stringify({ current_password: who.password, new_password: next }),
  })
  if (change.status !== 204) throw new Error(`password change failed: ${change.status}`)
  who.password = next
}
export const APP_NAME = `Emulator ${RUN}`

if (!BASE_URL)
  throw new Error(
    'Set RECHAT_E2E_URL to the base URL of a running ReChat stack (e.g. http://127.0.0.1:8080).',
  )

/** Starts Chromium; `artifacts` (a folder under artifacts/) is emptied first: screenshots of this run only. */
export async function launch(artifacts = ''): Promise<Browser> {
  const folder = `${ARTIFACTS}${artifacts}`
  mkdirSync(ARTIFACTS, { recursive: true })
  if (artifacts) rmSync(folder, { recursive: true, force: true })
  else
    for (const name of readdirSync(ARTIFACTS, { withFileTypes: true }))
      if (name.isFile()) rmSync(`${ARTIFACTS}${name.name}`)
  mkdirSync(folder, { recursive: true })
  return chromium.launch({
    executablePath: process.env.RECHAT_E2E_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // A fake microphone that needs no permission prompt, for the voice input tests.
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
    ],
  })
}

export interface Session {
  context: BrowserContext
  page: Page
  /** Browser-side failures (uncaught errors, alert dialogs) seen so far. */
  problems: string[]
}

export async function openSession(
  browser: Browser,
  options: {
    colorScheme?: 'light' | 'dark'
    viewport?: { width: number; height: number }
    mobile?: boolean
    locale?: string
  } = {},
): Promise<Session> {
  const context = await browser.newContext({
    baseURL: BASE_URL,
    viewport: options.viewport ?? { width: 1280, height: 800 },
    colorScheme: options.colorScheme ?? 'light',
    isMobile: options.mobile,
    hasTouch: options.mobile,
    locale: options.locale ?? 'en-US',
    permissions: ['clipboard-read', 'clipboard-write', 'microphone'],
  })
  const page = await context.newPage()
  page.setDefaultTimeout(15_000)
  const problems: string[] = []
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`))
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`)
    void dialog.dismiss()
  })
  return { context, page, problems }
}

/** Polls `probe` until it returns a truthy value or the deadline passes. */
export async function until<T>(
  probe: () => T | Promise<T>,
  what: string,
  timeoutMs = 20_000,
  everyMs = 100,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  let last: T | undefined
  while (Date.now() < deadline) {
    last = await probe()
    if (last) return last as NonNullable<T>
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
  throw new Error(
    `Timed out after ${timeoutMs} ms waiting for ${what} (last value: ${JSON.stringify(last)})`,
  )
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(300) // let transitions settle; the screenshot is an artifact, not an assertion
  await page.screenshot({ path: `${ARTIFACTS}${name}.png` })
}

export async function signIn(page: Page, who: { email: string; password: string }): Promise<void> {
  await page.goto('/auth')
  await page.getByPlaceholder('Enter Your Email').fill(who.email)
  await page.getByPlaceholder('Enter Your Password').fill(who.password)
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
  await page.waitForURL((url) => !url.pathname.startsWith('/auth'))
}

export async function signUp(
  page: Page,
  who: { name: string; email: string; password: string },
  button: string,
): Promise<void> {
  await page.getByPlaceholder('Enter Your Full Name').fill(who.name)
  await page.getByPlaceholder('Enter Your Email').fill(who.email)
  await page.getByPlaceholder('Enter Your Password').fill(who.password)
  await page.getByRole('button', { name: button, exact: true }).click()
  await page.waitForURL((url) => !url.pathname.startsWith('/auth'))
}

export async function setTheme(page: Page, theme: 'light' | 'dark'): Promise<void> {
  await page.evaluate((value) => localStorage.setItem('theme', value), theme)
  await page.reload()
  // Let the page's session refresh finish: leaving mid-refresh drops the rotated cookie, and the
  // next page would present a used refresh token (which the server treats as theft).
  await page.waitForLoadState('networkidle')
}

/** The last answer in the conversation. */
export const lastAnswer = (page: Page) => page.getByTestId('assistant-message').last()

export async function answerText(page: Page): Promise<string> {
  const content = lastAnswer(page).getByTestId('answer-content')
  return (await content.count()) ? content.innerText() : ''
}

export async function send(page: Page, text: string): Promise<void> {
  const input = page.getByTestId('chat-input').last()
  await input.fill(text)
  // The send button enables once the app list has loaded.
  await until(() => page.getByTestId('send-button').last().isEnabled(), 'send button enabled')
  await input.press('Enter')
}

export async function waitForAnswer(
  page: Page,
  status = 'done',
  timeoutMs = 30_000,
): Promise<void> {
  await until(
    async () => (await lastAnswer(page).getAttribute('data-status')) === status,
    `answer status ${status}`,
    timeoutMs,
  )
}

export async function openRowMenu(page: Page, title: string): Promise<void> {
  const row = page.getByTestId('chat-row').filter({ hasText: title }).first()
  await row.hover()
  await row.getByTestId('chat-menu').click()
}

/** An API call as `token`'s user; JSON in and out. */
export async function api<T>(token: string, path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${BASE_URL}${path}`, {
    ...init,
    headers: {
      'Content-Type': 'application/json',
      Authorization: `Bearer ${token}`,
      ...(init.headers ?? {}),
    },
  })
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`)
  return (response.status === 204 ? undefined : await response.json()) as T
}

/** Asks a question through the API and reads the answer's stream to its end; the conversation id. */
export async function apiChat(
  token: string,
  body: { app_id: string; query: string; conversation_id?: string },
): Promise<string> {
  const response = await fetch(`${BASE_URL}/api/chat/messages`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'text/event-stream',
      Authorization: `Bearer ${token}`,
    },
    body: JSON.stringify(body),
  })
  if (!response.ok) throw new Error(`chat: ${response.status} ${await response.text()}`)
  const text = await response.text() // the stream ends after `done` or `error`
  const frames = text.split(/\r?\n\r?\n/).map((frame) => frame.split(/\r?\n/))
  const start = frames.find((lines) => lines.includes('event: start'))
  const data = start?.find((line) => line.startsWith('data: '))
  if (!data || !frames.some((lines) => lines.includes('event: done')))
    throw new Error(`chat stream incomplete: ${text.slice(-300)}`)
  return (JSON.parse(data.slice(6)) as { conversation_id: string }).conversation_id
}
