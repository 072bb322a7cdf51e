// Settings in a real browser: Open WebUI's dialog, and settings that live on the server, so a
// fresh browser (no local storage) signs in and finds them again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { BASE_URL, launch, openSession, shot, signIn, until, type Session } from './support'

const RUN = Date.now().toString(36)
const user = { name: 'Sam Settings', email: `sam-${RUN}@example.com`, password: 'settings-pw-9183' }
const admin = {
  name: 'Ada Admin',
  email: process.env.RECHAT_E2E_ADMIN_EMAIL ?? 'admin@example.com',
  password: process.env.RECHAT_E2E_ADMIN_PASSWORD ?? 'admin-password-1',
}

async function api(path: string, init: RequestInit & { token?: string } = {}) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' }
  if (init.token) headers.Authorization = `Bearer ${init.token}`
  return fetch(`${BASE_URL}${path}`, { ...init, headers })
}

/** The test's own member, added by the admin (the first account, made here on a fresh stack). */
async function ensureUser(): Promise<void> {
  const config = (await (await api('/api/auth/config')).json()) as { has_users: boolean }
  if (!config.has_users) {
    await api('/api/auth/register', { method: 'POST', body: JSON.stringify(admin) })
  }
  const login = await api('/api/auth/login', {
    method: 'POST',
    body: JSON.stringify({ email: admin.email, password: admin.password }),
  })
  const { access_token: token } = (await login.json()) as { access_token: string }
  const created = await api('/api/admin/users', {
    method: 'POST',
    token,
    body: JSON.stringify({ ...user, role: 'user' }),
  })
  expect(created.status).toBe(201)
}

let browser: Browser
let first: Session
let second: Session

beforeAll(async () => {
  await ensureUser()
  browser = await launch()
  first = await openSession(browser)
  second = await openSession(browser)
})
afterAll(async () => {
  await browser?.close()
})

async function openSettings(session: Session) {
  const { page } = session
  await page.getByTestId('user-menu-button').first().click()
  await page.getByRole('menuitem', { name: 'Settings' }).click()
  await page.getByTestId('settings-modal').waitFor()
}

describe('Settings', () => {
  it('has the grouped navigation, a search box and every panel', async () => {
    const { page } = first
    await signIn(page, user)
    await openSettings(first)
    for (const id of ['general', 'interface', 'keyboard', 'audio', 'data', 'account', 'about']) {
      await page.getByTestId(`settings-tab-${id}`).click()
      await page.getByRole('heading', { level: 2 }).waitFor()
    }
    await page.getByTestId('settings-tab-keyboard').click()
    expect(await page.getByTestId('settings-keyboard').innerText()).toContain('Send message')
    await page.getByTestId('settings-search').fill('aud')
    await until(
      async () => (await page.locator('[data-testid^=settings-tab-]').count()) === 1,
      'the search to leave only Audio',
    )
    await page.getByTestId('settings-search').fill('')
    await page.getByTestId('settings-tab-general').click()
    await shot(page, 'settings-general-light')
  })

  it('keeps interface settings and the theme on the server, for every device', async () => {
    const { page } = first
    await page.getByTestId('settings-tab-interface').click()
    const widescreen = page.getByRole('switch', { name: 'Widescreen Mode' })
    expect(await widescreen.isChecked()).toBe(false)
    await widescreen.check({ force: true })
    await page.getByTestId('send-with-select').selectOption('ctrl_enter')
    await page.getByTestId('settings-save').click()
    await page.getByText('Settings saved').first().waitFor()
    await shot(page, 'settings-interface-light')
    await page.getByTestId('settings-tab-general').click()
    await page.getByTestId('theme-select').selectOption('oled-dark')
    await until(
      () => page.evaluate(() => document.documentElement.classList.contains('oled-dark')),
      'the OLED theme to apply',
    )

    // another browser: nothing in its local storage, the settings come from the server
    await signIn(second.page, user)
    await until(
      () => second.page.evaluate(() => document.documentElement.classList.contains('oled-dark')),
      'the OLED theme to follow the user',
    )
    await openSettings(second)
    await second.page.getByTestId('settings-tab-interface').click()
    expect(await second.page.getByRole('switch', { name: 'Widescreen Mode' }).isChecked()).toBe(
      true,
    )
    expect(await second.page.getByTestId('send-with-select').inputValue()).toBe('ctrl_enter')
    await second.page.getByTestId('settings-tab-keyboard').click()
    expect(await second.page.getByTestId('settings-keyboard').innerText()).toContain('Ctrl')
    expect(first.problems.concat(second.problems)).toEqual([])
  })
})
