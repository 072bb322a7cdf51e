// One user journey through the real stack (all services, MariaDB/Redis/RabbitMQ, the Dify emulator).
// Steps share state and run in order; each waits on a condition with a deadline, never on luck.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import {
  admin,
  answerText,
  changePassword,
  APP_NAME,
  BASE_URL,
  DIFY_KEY,
  difyUrl,
  lastAnswer,
  launch,
  member,
  openRowMenu,
  openSession,
  send,
  setTheme,
  shot,
  signIn,
  signUp,
  until,
  waitForAnswer,
  type Session,
} from './support'

let browser: Browser
let adminSession: Session
let memberSession: Session

beforeAll(async () => {
  browser = await launch()
  adminSession = await openSession(browser)
  memberSession = await openSession(browser)
})
afterAll(async () => {
  await browser?.close()
})
// A failed step leaves a screenshot of both users' pages behind, to see what went wrong.
afterEach(async ({ task }) => {
  if (task.result?.state !== 'fail') return
  const name = task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)
  await shot(memberSession.page, `failed-${name}-member`).catch(() => undefined)
  await shot(adminSession.page, `failed-${name}-admin`).catch(() => undefined)
})

describe('ReChat in a real browser', () => {
  it('first run offers "Create Admin Account" and makes the first account the admin', async () => {
    const { page } = adminSession
    const config = (await (await fetch(`${BASE_URL}/api/auth/config`)).json()) as {
      has_users: boolean
    }
    if (config.has_users) {
      // A stack that already has accounts (a re-run): the admin from the first run signs in instead.
      await signIn(page, admin)
    } else {
      await page.goto('/auth')
      await page.getByRole('button', { name: 'Create Admin Account' }).waitFor()
      await shot(page, 'auth-first-run-light')
      await signUp(page, admin, 'Create Admin Account')
    }
    await page.getByTestId('user-menu-button').first().click()
    await page.getByTestId('admin-panel-link').waitFor()
    await page.keyboard.press('Escape')
  })

  it('the admin adds a Dify app and tests the connection', async () => {
    const { page } = adminSession
    await page.goto('/admin/apps')
    await page.getByTestId('add-app').click()
    const form = page.getByTestId('app-form')
    await form.locator('input[name=name]').fill(APP_NAME)
    await form.locator('input[name=description]').fill('The Dify emulator')
    await form.locator('input[name=base_url]').fill(await difyUrl())
    await form.locator('input[name=api_key]').fill(DIFY_KEY)
    await form.getByTestId('save-app').click()
    const row = page.getByTestId(`admin-app-${APP_NAME}`)
    await row.waitFor()
    expect(await row.innerText()).not.toContain(DIFY_KEY) // the key is write-only
    await row.getByTestId('test-app').click()
    await page.getByText('Connection OK').first().waitFor()
    await shot(page, 'admin-apps-light')
  })

  it('the admin opens sign-up with new accounts pending', async () => {
    const { page } = adminSession
    await page.goto('/admin/settings')
    const open = page.getByTestId('signup-open')
    await open.waitFor()
    if (!(await open.isChecked())) {
      await open.click()
      await until(() => open.isChecked(), 'sign-up open')
    }
    await page.getByTestId('default-role').selectOption('pending')
    await until(
      async () => (await page.getByTestId('default-role').inputValue()) === 'pending',
      'default role pending',
    )
  })

  it('a fresh browser has no session of anyone else', async () => {
    // Guards against a proxy that keeps cookies between requests: it would hand this browser
    // the admin's refresh cookie, and so the admin's account.
    const { page } = memberSession
    await page.goto('/auth')
    const status = await page.evaluate(
      async () => (await fetch('/api/auth/refresh', { method: 'POST' })).status,
    )
    expect(status).toBe(401)
  })

  it('a second user signs up, waits as pending, and is approved by the admin', async () => {
    const { page } = memberSession
    await page.goto('/auth')
    await page.getByRole('button', { name: 'Sign up', exact: true }).click()
    await signUp(page, member, 'Create Account')
    await page.getByTestId('pending-overlay').waitFor()
    await shot(page, 'pending-light')

    const adminPage = adminSession.page
    await adminPage.goto('/admin/users')
    await adminPage.getByTestId('user-search').fill(member.email)
    const row = adminPage.getByTestId(`user-row-${member.email}`)
    await row.waitFor()
    await row.getByTestId('role-select').selectOption('user')
    await until(
      async () => (await row.getByTestId('role-badge').getAttribute('data-role')) === 'user',
      'role user',
    )
    await shot(adminPage, 'admin-users-light')

    await page.getByRole('button', { name: 'Check Again' }).click()
    // A role change revokes the user's sessions on the server: the SPA sends them to sign in.
    await page.waitForURL((url) => url.pathname.startsWith('/auth'))
    await signIn(page, member)
    await page.getByTestId('welcome').waitFor()
    expect(await page.getByTestId('pending-overlay').count()).toBe(0)
  })

  it('the user picks the app and sees tokens stream in', async () => {
    const { page } = memberSession
    await page.getByTestId('app-picker').click()
    await page.getByRole('menuitem').filter({ hasText: APP_NAME }).click()
    await until(
      async () => (await page.getByTestId('app-picker').innerText()).includes(APP_NAME),
      'app selected',
    )
    await shot(page, 'welcome-light')
    await send(page, 'Hello streaming [[slow]]')
    // Watch the answer grow: several distinct, increasing lengths before it is done.
    const lengths = new Set<number>()
    await until(
      async () => {
        lengths.add((await answerText(page)).length)
        return (await lastAnswer(page).getAttribute('data-status')) === 'done'
      },
      'streamed answer',
      30_000,
      50,
    )
    const seen = [...lengths].filter((n) => n > 0)
    expect(seen.length).toBeGreaterThanOrEqual(3)
    expect(await answerText(page)).toContain('slow49')
    await until(() => page.url().includes('/c/'), 'conversation url')
  })

  it('stops an answer mid-way', async () => {
    const { page } = memberSession
    await send(page, 'Please stop me [[slow]]')
    await until(async () => (await answerText(page)).includes('slow2'), 'first tokens')
    await page.getByTestId('stop-button').click()
    await waitForAnswer(page, 'stopped', 15_000)
    expect(await answerText(page)).not.toContain('slow49')
    await page.getByTestId('send-button').waitFor()
  })

  it('reloads mid-answer, resumes, and shows the whole answer once', async () => {
    const { page } = memberSession
    await send(page, 'Survive a reload [[slow]]')
    await until(async () => (await answerText(page)).includes('slow3'), 'first tokens')
    await page.reload()
    await waitForAnswer(page, 'done', 30_000)
    const text = await answerText(page)
    expect(text).toContain('slow49')
    expect(text.match(/slow0 /g) ?? []).toHaveLength(1)
    expect(text.match(/slow10 /g) ?? []).toHaveLength(1)
  })

  it('regenerates an answer and keeps both as variants', async () => {
    const { page } = memberSession
    await send(page, 'Tell me something')
    await waitForAnswer(page)
    await lastAnswer(page).getByRole('button', { name: 'Regenerate' }).click()
    await page.getByRole('menuitem', { name: 'Try Again' }).click()
    const nav = lastAnswer(page).getByTestId('variant-nav')
    await nav.waitFor()
    await until(async () => (await nav.innerText()).includes('2/2'), 'variant 2/2')
    await waitForAnswer(page)
    await nav.getByRole('button', { name: 'Previous response' }).click()
    await until(async () => (await nav.innerText()).includes('1/2'), 'variant 1/2')
    await shot(page, 'chat-light')
  })

  it('renames, pins, searches, archives and deletes chats', async () => {
    const { page } = memberSession
    const firstTitle = 'Release notes chat'
    await openRowMenu(page, '')
    await page.getByRole('menuitem', { name: 'Rename' }).click()
    const renameInput = page.getByRole('textbox', { name: 'Rename' })
    await renameInput.fill(firstTitle)
    await renameInput.press('Enter')
    await page.getByTestId('chat-row').filter({ hasText: firstTitle }).first().waitFor()

    await openRowMenu(page, firstTitle)
    await page.getByRole('menuitem', { name: 'Pin' }).click()
    await page.getByTestId('pinned-section').getByText(firstTitle).waitFor()

    await page.getByTestId('open-search').click()
    await page.getByTestId('search-input').fill('Release notes')
    await page.getByTestId('search-results').getByText(firstTitle).waitFor()
    await page.keyboard.press('Escape')

    // A second chat to archive, a third to delete.
    for (const title of ['Chat to archive', 'Chat to delete']) {
      await page.getByTestId('new-chat').click()
      await page.getByTestId('welcome').waitFor()
      await send(page, `Topic ${title}`)
      await waitForAnswer(page)
      await until(() => page.url().includes('/c/'), 'conversation url')
      const id = page.url().split('/c/')[1]!
      const row = page.locator(`[data-testid=chat-row][data-conversation-id="${id}"]`)
      await row.waitFor()
      await row.hover()
      await row.getByTestId('chat-menu').click()
      await page.getByRole('menuitem', { name: 'Rename' }).click()
      await page.getByRole('textbox', { name: 'Rename' }).fill(title)
      await page.getByRole('textbox', { name: 'Rename' }).press('Enter')
      await page.getByTestId('chat-row').filter({ hasText: title }).waitFor()
    }
    await openRowMenu(page, 'Chat to archive')
    await page.getByRole('menuitem', { name: 'Archive' }).click()
    await page
      .getByTestId('chat-row')
      .filter({ hasText: 'Chat to archive' })
      .waitFor({ state: 'detached' })
    await page.getByTestId('user-menu-button').first().click()
    await page.getByRole('menuitem', { name: 'Archived Chats' }).click()
    await page.getByTestId('archived-list').getByText('Chat to archive').waitFor()
    await page.keyboard.press('Escape')

    await openRowMenu(page, 'Chat to delete')
    await page.getByRole('menuitem', { name: 'Delete' }).click()
    await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Delete' }).click()
    await page
      .getByTestId('chat-row')
      .filter({ hasText: 'Chat to delete' })
      .waitFor({ state: 'detached' })
  })

  it('signs out and in again and finds the history', async () => {
    const { page } = memberSession
    await page.getByTestId('user-menu-button').first().click()
    await page.getByRole('menuitem', { name: 'Sign Out' }).click()
    await page.waitForURL((url) => url.pathname.startsWith('/auth'))
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor()
    await shot(page, 'auth-light')
    await signIn(page, member)
    await page.getByTestId('pinned-section').getByText('Release notes chat').click()
    await page.getByTestId('assistant-message').first().waitFor()
    expect(await page.getByTestId('user-message').count()).toBeGreaterThanOrEqual(4)
  })

  it('returns to sign-in without losing the typed message when the session cannot be refreshed', async () => {
    const { page } = memberSession
    await page.getByTestId('new-chat').click()
    await page.getByTestId('welcome').waitFor()
    // Elsewhere the user changes the password: every other session (this one too) is revoked.
    await changePassword(member, 'member-password-2')
    const typed = 'A message typed before the session ended'
    await send(page, typed)
    await page.waitForURL((url) => url.pathname.startsWith('/auth'))
    await signIn(page, member)
    await until(
      async () => (await page.getByTestId('chat-input').first().inputValue()) === typed,
      'draft restored',
    )
    await page.getByTestId('chat-input').first().fill('')
  })

  it('attaches a file through the gateway and sends it with the message', async () => {
    const { page } = memberSession
    await page.getByTestId('new-chat').click()
    await page.getByTestId('welcome').waitFor()
    await page.getByTestId('file-input').setInputFiles({
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('Meeting notes: ship it.'),
    })
    await page.getByTestId('attachments').getByText('notes.txt').waitFor()
    await send(page, 'Summarise the attached notes')
    await waitForAnswer(page)
    expect(await page.getByTestId('user-message').last().innerText()).toContain(
      'Summarise the attached notes',
    )
  })

  it('renders an answer with <img onerror> and <script> inert', async () => {
    const { page, problems } = memberSession
    await page.getByTestId('new-chat').click()
    await page.getByTestId('welcome').waitFor()
    await send(page, 'Show me [[xss]]')
    await waitForAnswer(page)
    const content = lastAnswer(page).getByTestId('answer-content')
    expect(await content.innerText()).toContain('<script>')
    expect(
      await content.locator('script, img[onerror], [onerror], a[href^="javascript"]').count(),
    ).toBe(0)
    expect(
      await page.evaluate(() => document.querySelectorAll('img[onerror], [onload]').length),
    ).toBe(0)
    expect(problems.filter((p) => p.startsWith('dialog'))).toEqual([])
  })

  it('shows markdown: code with a language label and copy button, a table and math', async () => {
    const { page } = memberSession
    await send(page, 'Show me [[markdown]]')
    await waitForAnswer(page)
    const content = lastAnswer(page).getByTestId('answer-content')
    await content.locator('.code-block-lang', { hasText: 'python' }).waitFor()
    expect(await content.locator('table').count()).toBe(1)
    expect(await content.locator('.katex').count()).toBeGreaterThanOrEqual(2)
    await content.locator('[data-copy-code]').first().click()
    await until(
      async () => (await content.locator('[data-copy-code]').first().innerText()) === 'Copied',
      'copied label',
    )
  })

  it('rates answers (dislike asks for a reason) and edits a question into a new turn', async () => {
    const { page } = memberSession
    const answer = lastAnswer(page)
    await answer.getByRole('button', { name: 'Good Response' }).click()
    await page.getByText('Thanks for your feedback!').first().waitFor()
    await answer.getByRole('button', { name: 'Bad Response' }).click()
    await page.getByTestId('dislike-form').locator('textarea').fill('Too long')
    await page.getByTestId('dislike-form').getByRole('button', { name: 'Save' }).click()
    await page.getByTestId('dislike-form').waitFor({ state: 'detached' })

    const question = page.getByTestId('user-message').last()
    await question.hover()
    await question.getByRole('button', { name: 'Edit' }).click()
    await question.locator('textarea').fill('An edited question')
    await question.getByRole('button', { name: 'Send' }).click()
    await until(
      async () =>
        (await page.getByTestId('user-message').last().innerText()).includes('An edited question'),
      'edited turn',
    )
    await waitForAnswer(page)
    expect(await answerText(page)).toContain('An edited question')
  })

  it('offers no rating or Regenerate on a turn the server refused before it started', async () => {
    const { page } = memberSession
    // Longer than the gateway accepts: a real 422 before the stream starts, so the turn
    // never gets a server id.
    await send(page, 'x'.repeat(32_001))
    await waitForAnswer(page, 'failed')
    const answer = lastAnswer(page)
    await answer.getByRole('button', { name: 'Copy' }).waitFor()
    for (const name of ['Good Response', 'Bad Response', 'Regenerate'])
      expect(await answer.getByRole('button', { name }).count()).toBe(0)
  })

  it('keyboard: ⌘/Ctrl+Shift+O opens a new chat and Esc stops an answer', async () => {
    const { page } = memberSession
    await page.keyboard.press('Control+Shift+O')
    await page.getByTestId('welcome').waitFor()
    await send(page, 'Stop me by key [[slow]]')
    await until(async () => (await answerText(page)).includes('slow2'), 'first tokens')
    await page.keyboard.press('Escape')
    await waitForAnswer(page, 'stopped', 15_000)
  })

  it('works in 简体中文 and in dark mode', async () => {
    const { page } = memberSession
    await page.getByTestId('user-menu-button').first().click()
    await page.getByRole('menuitem', { name: 'Settings' }).click()
    await page.getByTestId('language-select').selectOption('zh-CN')
    await page.getByTestId('theme-select').selectOption('dark')
    await until(
      () => page.evaluate(() => document.documentElement.classList.contains('dark')),
      'dark class',
    )
    await page.keyboard.press('Escape')
    await page.getByText('新对话').first().waitFor()
    await shot(page, 'chat-dark-zh-CN')
    await page.reload() // theme and language survive a reload, applied before first paint
    expect(await page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(
      true,
    )
    await page.getByText('新对话').first().waitFor()
    await page.getByTestId('new-chat').click()
    await page.getByTestId('welcome').waitFor()
    await shot(page, 'welcome-dark-zh-CN')
    await page.evaluate(() => localStorage.setItem('locale', 'en'))
    await page.reload()
    await page.getByTestId('welcome').waitFor()
    await shot(page, 'welcome-dark')
    await page.getByTestId('pinned-section').getByText('Release notes chat').click()
    await page.getByTestId('assistant-message').first().waitFor()
    await shot(page, 'chat-dark')
    await setTheme(page, 'light')
  })

  it('admin and sign-in screens in dark mode', async () => {
    const guest = await openSession(browser, { colorScheme: 'dark' })
    await guest.page.goto('/auth')
    await guest.page.getByRole('button', { name: 'Sign in', exact: true }).waitFor()
    expect(
      await guest.page.evaluate(() => document.documentElement.classList.contains('dark')),
    ).toBe(true)
    await shot(guest.page, 'auth-dark')
    await guest.context.close()

    const { page } = adminSession
    await setTheme(page, 'dark')
    await page.goto('/admin/users')
    await page.getByTestId(`user-row-${member.email}`).waitFor()
    await shot(page, 'admin-users-dark')
    await page.goto('/admin/apps')
    await page.getByTestId(`admin-app-${APP_NAME}`).waitFor()
    await shot(page, 'admin-apps-dark')
    await setTheme(page, 'light')
  })

  it('has a mobile layout at 390×844 with an overlay sidebar', async () => {
    const mobile = await openSession(browser, {
      viewport: { width: 390, height: 844 },
      mobile: true,
    })
    const { page } = mobile
    await signIn(page, member)
    await page.getByTestId('welcome').waitFor()
    expect(await page.getByTestId('sidebar').count()).toBe(0)
    const inputBox = await page.getByTestId('chat-input').first().boundingBox()
    expect(inputBox!.width).toBeLessThanOrEqual(390)
    await shot(page, 'mobile-welcome-light')
    await page.getByTestId('mobile-menu').click()
    await page.getByTestId('sidebar').waitFor()
    await page.getByTestId('sidebar-scrim').waitFor()
    await shot(page, 'mobile-sidebar-light')
    await page.getByTestId('pinned-section').getByText('Release notes chat').click()
    await page.getByTestId('sidebar').waitFor({ state: 'detached' })
    await page.getByTestId('assistant-message').first().waitFor()
    await shot(page, 'mobile-chat-light')
    await mobile.context.close()
  })

  it('hides the sign-up link while sign-up is closed', async () => {
    const { page } = adminSession
    await page.goto('/admin/settings')
    const open = page.getByTestId('signup-open')
    await open.waitFor()
    await open.click()
    await until(async () => !(await open.isChecked()), 'sign-up closed')
    const guest = await openSession(browser)
    await guest.page.goto('/auth')
    await guest.page.getByRole('button', { name: 'Sign in', exact: true }).waitFor()
    await until(
      async () =>
        ((await (await fetch(`${BASE_URL}/api/auth/config`)).json()) as { signup_open: boolean })
          .signup_open === false,
      'config closed',
    )
    expect(await guest.page.getByRole('button', { name: 'Sign up', exact: true }).count()).toBe(0)
    await guest.context.close()
    await open.click()
    await until(() => open.isChecked(), 'sign-up open again')
  })

  it('saw no uncaught errors in the page', () => {
    expect(adminSession.problems).toEqual([])
    expect(memberSession.problems.filter((p) => !p.includes('401'))).toEqual([])
  })
})
