// Open WebUI 0.12.4's screens taken of ReChat (same names as ../../shared/reference/open-webui-0.12.4/
// screens, light and dark; tools/screens/compare.py puts each pair into one picture), and the
// chat-surface behaviour those screens show, tested in Chromium: markdown tools, the picker in the
// input bar, the + menu, the sidebar's ages and Pinned fold, the chat that appears at once,
// message actions, voice, the auth forms' details.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import {
  admin,
  api,
  apiChat,
  apiLogin,
  BASE_URL,
  difyUrl,
  lastAnswer,
  launch,
  openSession,
  send,
  setTheme,
  signIn,
  until,
  waitForAnswer,
  type Session,
} from './support'

const DIR = 'screens'
const DESKTOP = { width: 1440, height: 900 }
export const MOBILE = { width: 390, height: 844 }
const DAY = 86_400_000
/** The reference's chats and their ages (README: 0, 0, 1, 3, 5, 12, 20 and 45 days). */
const CHATS: [title: string, ageMs: number, pinned?: boolean][] = [
  ['Trip planning to Kyoto', 5 * 60_000],
  ['Quarterly report summary', 5 * 60_000, true],
  ['Python asyncio questions', DAY],
  ['Recipe ideas for dinner', 3 * DAY],
  ['SQL index tuning', 5 * DAY],
  ['Birthday gift ideas', 12 * DAY],
  ['Kubernetes ingress setup', 20 * DAY],
  ['Learning Rust lifetimes', 45 * DAY],
]
const VOICE_KEY = 'app-emulator-voice'

let browser: Browser
let desk: Session
let token: string

async function screen(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(300) // transitions settle; the picture is an artifact, not an assertion
  await page.screenshot({ path: `${import.meta.dirname}/../artifacts/${DIR}/${name}.png` })
}

/**
 * Shows the seeded chats with the reference's ages: the server stamps rows with the time they
 * were made, so the listing the browser receives is given the ages the reference screens have.
 */
async function ageChats(page: Page): Promise<void> {
  await page.route(/\/api\/conversations(\?|$)/, async (route) => {
    const response = await route.fetch()
    const body = (await response.json()) as { items: { title: string; updated_at: string }[] }
    for (const item of body.items) {
      const age = CHATS.find(([title]) => title === item.title)?.[1]
      if (age !== undefined) item.updated_at = new Date(Date.now() - age).toISOString()
    }
    await route.fulfill({ response, json: body })
  })
}

async function both(page: Page, name: string, take: () => Promise<void>): Promise<void> {
  await take()
  await screen(page, `${name}-light`)
  await setTheme(page, 'dark')
  await take()
  await screen(page, `${name}-dark`)
  await setTheme(page, 'light')
}

beforeAll(async () => {
  browser = await launch(DIR)
  const config = (await (await fetch(`${BASE_URL}/api/auth/config`)).json()) as {
    has_users: boolean
  }
  if (!config.has_users)
    await fetch(`${BASE_URL}/api/auth/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(admin),
    })
  token = await apiLogin(admin)
  // Two apps in the picker, as the reference has two models: the demo app and one whose Dify
  // has speech to text and text to speech on.
  const dify = await difyUrl()
  await fetch(`${dify.replace(/\/v1$/, '')}/_emulator/apps/${VOICE_KEY}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      key: VOICE_KEY,
      mode: 'chat',
      name: 'Voice',
      speech_to_text: true,
      text_to_speech: true,
      opening_statement: 'Hello! I am the fixture bot.',
      suggested_questions: ['What can you do?', 'Show me markdown'],
    }),
  })
  const apps = await api<{ name: string }[]>(token, '/api/admin/apps')
  if (!apps.some((app) => app.name === 'Emulator voice'))
    await api(token, '/api/admin/apps', {
      method: 'POST',
      body: JSON.stringify({
        name: 'Emulator voice',
        description: 'The Dify emulator with speech on',
        base_url: dify,
        api_key: VOICE_KEY,
        mode: 'chat',
      }),
    })
  const visible = await api<{ id: string; name: string }[]>(token, '/api/apps')
  const demo = visible.find((app) => app.name !== 'Emulator voice')!
  const existing = await api<{ items: { title: string }[] }>(token, '/api/conversations?limit=100')
  for (const [title, , pinned] of CHATS) {
    if (existing.items.some((item) => item.title === title)) continue
    const id = await apiChat(token, { app_id: demo.id, query: title })
    // History stores the chat from the bus a moment after the answer: rename it once it has.
    await until(
      () =>
        api(token, `/api/conversations/${id}`, {
          method: 'PATCH',
          body: JSON.stringify({ title, pinned: !!pinned }),
        }).then(
          () => true,
          () => false,
        ),
      `chat ${title} stored`,
    )
  }
  desk = await openSession(browser, { viewport: DESKTOP })
  await ageChats(desk.page)
})
afterAll(async () => {
  await browser?.close()
})
afterEach(async ({ task }) => {
  if (task.result?.state === 'fail')
    await screen(desk.page, `failed-${task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 50)}`).catch(
      () => undefined,
    )
})

describe("Open WebUI's screens, ReChat's way", () => {
  it('signs in with a show-password toggle; a wrong password gets one toast, worded as Open WebUI', async () => {
    const { page } = desk
    await both(page, 'signin', async () => {
      await page.goto('/auth')
      await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor()
    })
    const password = page.getByPlaceholder('Enter Your Password')
    await password.fill('not-the-password')
    expect(await password.getAttribute('type')).toBe('password')
    await page.getByRole('button', { name: 'Show password' }).click()
    expect(await password.getAttribute('type')).toBe('text')
    await page.getByRole('button', { name: 'Hide password' }).click()
    expect(await password.getAttribute('type')).toBe('password')
    await page.getByPlaceholder('Enter Your Email').fill(admin.email)
    const signInButton = page.getByRole('button', { name: 'Sign in', exact: true })
    await signInButton.click()
    const wording =
      'The email or password provided is incorrect. Please check for typos and try logging in again.'
    await page.getByText(wording).first().waitFor()
    await signInButton.click()
    await signInButton.click()
    await page.waitForLoadState('networkidle')
    expect(await page.getByText(wording).count()).toBe(1) // identical toasts do not stack
    await screen(page, 'wrong-password-light')
  })

  it('home: the picker sits in the input bar, with the mic; suggestions have no subtitle', async () => {
    const { page } = desk
    await signIn(page, admin)
    await page.getByTestId('welcome').waitFor()
    const bar = page.getByTestId('chat-input-bar')
    await bar.getByTestId('app-picker').waitFor()
    await bar.getByTestId('plus-menu').waitFor()
    expect(await page.getByTestId('suggested').innerText()).not.toContain('Prompt')
    await both(page, 'home', async () => {
      await page.getByTestId('welcome').waitFor()
      await page.getByTestId('chat-row').first().waitFor()
    })
  })

  it('picker: search, ✓ on the selected app, "Set as default" remembered on the server', async () => {
    const { page } = desk
    const picker = page.getByTestId('app-picker')
    await both(page, 'picker', async () => {
      await page.getByTestId('welcome').waitFor()
      await picker.click()
      await page.getByTestId('app-search').waitFor()
    })
    await picker.click()
    await page.getByTestId('app-search').fill('voice')
    const options = page.locator('[data-testid^=app-option-]')
    await until(async () => (await options.count()) === 1, 'one app matches')
    await options.first().click()
    await until(async () => (await picker.innerText()).includes('Emulator voice'), 'voice selected')
    await picker.click()
    expect(
      await page
        .locator('[data-testid^=app-option-]', { hasText: 'Emulator voice' })
        .getByTestId('app-selected')
        .count(),
    ).toBe(1)
    await page.getByTestId('set-default-app').click()
    await page.getByText('Default app updated').first().waitFor()
    const preferences = await api<{ default_app_id: string }>(token, '/api/auth/me/preferences')
    expect(preferences.default_app_id).toBeTruthy()
    // Another app for now; a new chat (and a reload) comes back to the default.
    await picker.click()
    await page
      .locator('[data-testid^=app-option-]', { hasNotText: 'Emulator voice' })
      .first()
      .click()
    await page.reload()
    await until(async () => (await picker.innerText()).includes('Emulator voice'), 'default kept')
  })

  it('the + menu offers the files and the camera the app accepts', async () => {
    const { page } = desk
    const picker = page.getByTestId('app-picker')
    await picker.click()
    await page
      .locator('[data-testid^=app-option-]', { hasNotText: 'Emulator voice' })
      .first()
      .click()
    await page.getByTestId('plus-menu').click()
    await page.getByTestId('upload-files').waitFor()
    await page.getByTestId('capture').waitFor()
    await screen(page, 'plus-menu-light')
    await page.keyboard.press('Escape')
  })

  it('streaming: the chat is in the sidebar at once with a spinner, the question stays in sight', async () => {
    const { page } = desk
    await send(page, 'Show me [[markdown]] [[tps:15]]')
    const row = page.getByTestId('chat-row').filter({ has: page.getByTestId('chat-generating') })
    await row.waitFor()
    await until(async () => (await lastAnswer(page).innerText()).includes('def hello'), 'code')
    const question = await page.getByTestId('user-message').last().boundingBox()
    expect(question!.y).toBeGreaterThanOrEqual(0)
    expect(question!.y).toBeLessThan(DESKTOP.height / 2)
    await screen(page, 'streaming-light')
    await waitForAnswer(page)
    await row.waitFor({ state: 'detached' })
  })
})
