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
const DAY = 86_400_000 + 3_600_000 // a day and an hour: the age shown stays in its day however slow the run
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
    body.items.sort((a, b) => b.updated_at.localeCompare(a.updated_at)) // newest first, as served
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
    // Rename it once history has stored Dify's title (a rename racing the title's ingest can be
    // lost: see the report), so the seeded titles stay.
    await until(
      () =>
        api<{ title: string }>(token, `/api/conversations/${id}`).then(
          (c) => c.title.startsWith('Title:'),
          () => false,
        ),
      `Dify's title of ${title}`,
      30_000,
      250,
    )
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

describe('answers, actions, voice, sidebar, mobile and pending', () => {
  const clipboard = (page: Page) => page.evaluate(() => navigator.clipboard.readText())

  it('answers: code folds, saves and copies; tables copy and download CSV; mermaid copies and downloads', async () => {
    const { page } = desk
    const answer = lastAnswer(page).getByTestId('answer-content')
    const code = answer.locator('.code-block').first()
    expect(await code.locator('.code-block-lines span').count()).toBe(5)
    const [saved] = await Promise.all([
      page.waitForEvent('download'),
      code.getByRole('button', { name: 'Save' }).click(),
    ])
    expect(saved.suggestedFilename()).toBe('code.py')
    await code.getByRole('button', { name: 'Collapse' }).click()
    await until(() => code.evaluate((el) => el.classList.contains('collapsed')), 'collapsed')
    await code.getByRole('button', { name: 'Expand' }).click()
    await code.getByRole('button', { name: 'Copy' }).click()
    expect(await clipboard(page)).toContain('def hello(name: str) -> str:')
    const table = answer.locator('.table-frame')
    await table.getByRole('button', { name: 'Copy' }).click()
    expect(await clipboard(page)).toContain('Feature\tStatus\tNotes')
    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      table.getByRole('button', { name: 'Download' }).click(),
    ])
    expect(csv.suggestedFilename()).toBe('table.csv')
    const { readFile } = await import('node:fs/promises')
    expect(await readFile((await csv.path())!, 'utf8')).toContain('Mermaid,yes,diagrams')
    const diagram = answer.locator('.mermaid-frame')
    await diagram.locator('svg').first().waitFor()
    await diagram.getByRole('button', { name: 'Copy' }).click()
    expect(await clipboard(page)).toContain('graph TD')
    const [svg] = await Promise.all([
      page.waitForEvent('download'),
      diagram.getByRole('button', { name: 'Download' }).click(),
    ])
    expect(svg.suggestedFilename()).toBe('diagram.svg')
    // Headings at Open WebUI's scale, table body text dark, inline code not red.
    const h1 = await answer.locator('h1').evaluate((el) => getComputedStyle(el).fontSize)
    expect(parseFloat(h1)).toBeLessThanOrEqual(21)
    const cell = await answer
      .locator('td')
      .first()
      .evaluate((el) => getComputedStyle(el).color)
    expect(cell).toMatch(/rgb\((1[0-9]|2[0-9]|[0-9]),/)
    const chip = await answer
      .locator('p code')
      .first()
      .evaluate((el) => getComputedStyle(el).color)
    expect(chip).not.toBe('rgb(235, 87, 87)')
    const top = async () => {
      await lastAnswer(page).locator('h1').scrollIntoViewIfNeeded()
      await page.getByTestId('chat-scroller').evaluate((el) => el.scrollBy(0, -120))
    }
    const bottom = () =>
      page.getByTestId('chat-scroller').evaluate((el) => el.scrollTo({ top: el.scrollHeight }))
    await both(page, 'markdown-top', async () => {
      await lastAnswer(page).getByTestId('answer-content').locator('h1').waitFor()
      await top()
    })
    await both(page, 'markdown-bottom', async () => {
      await lastAnswer(page).locator('.mermaid-frame svg').first().waitFor()
      await bottom()
    })
  })

  it('hover: a question shows its time; an answer its whole action row', async () => {
    const { page } = desk
    const question = page.getByTestId('user-message').last()
    await question.scrollIntoViewIfNeeded()
    await question.hover()
    expect(await question.getByTestId('message-time').innerText()).toMatch(/\d/)
    await screen(page, 'hover-user-light')
    const answer = lastAnswer(page)
    await answer.getByTestId('message-actions').scrollIntoViewIfNeeded()
    await answer.hover()
    const actions = answer.getByTestId('message-actions')
    for (const label of [
      'Edit',
      'Copy',
      'Read Aloud',
      'Good Response',
      'Bad Response',
      'Regenerate',
    ])
      await actions.getByRole('button', { name: label, exact: true }).waitFor()
    await screen(page, 'hover-assistant-light')
  })

  it('edit: Save keeps the new question without asking again; an edited answer is stored', async () => {
    const { page } = desk
    const questions = page.getByTestId('user-message')
    const before = await questions.count()
    const question = questions.last()
    await question.hover()
    await question.getByRole('button', { name: 'Edit' }).click()
    await question.locator('textarea').fill('Show me MARKDOWN please')
    await both(page, 'edit', async () => {
      if (!(await question.locator('textarea').count())) {
        await question.hover()
        await question.getByRole('button', { name: 'Edit' }).click()
        await question.locator('textarea').fill('Show me MARKDOWN please')
      }
      await question.getByTestId('edit-save').waitFor()
    })
    await question.hover() // the theme's reload closed the editor: open it again
    await question.getByRole('button', { name: 'Edit' }).click()
    await question.locator('textarea').fill('Show me MARKDOWN please')
    await question.getByTestId('edit-save').click()
    await until(
      async () => (await question.innerText()).includes('Show me MARKDOWN please'),
      'saved',
    )
    const answer = lastAnswer(page)
    await answer.hover()
    await answer.getByTestId('message-actions').getByRole('button', { name: 'Edit' }).click()
    await answer.getByTestId('answer-editor').locator('textarea').fill('# My own answer')
    await answer.getByTestId('answer-editor').getByRole('button', { name: 'Save' }).click()
    await page.reload()
    await until(
      async () => (await lastAnswer(page).innerText()).includes('My own answer'),
      'edited answer stored',
    )
    expect(await page.getByTestId('user-message').last().innerText()).toContain(
      'Show me MARKDOWN please',
    )
    expect(await page.getByTestId('user-message').count()).toBe(before) // nothing asked again
  })

  it('regenerate menu: Try Again makes a variant; Add Details asks Dify as a follow-up', async () => {
    const { page } = desk
    await lastAnswer(page).getByRole('button', { name: 'Regenerate' }).click()
    await page.getByRole('menuitem', { name: 'Try Again' }).click()
    const nav = lastAnswer(page).getByTestId('variant-nav')
    await until(async () => (await nav.innerText()).includes('2/2'), 'variant 2/2')
    await waitForAnswer(page)
    await screen(page, 'regenerated-light')
    await lastAnswer(page).getByRole('button', { name: 'Regenerate' }).click()
    await page.getByRole('menuitem', { name: 'Add Details' }).click()
    await until(
      async () =>
        (await page.getByTestId('user-message').last().innerText()).includes(
          'Please add more details to your previous answer.',
        ),
      'follow-up instruction',
    )
    await waitForAnswer(page)
  })

  it("👎 opens Open WebUI's rating box; score, reason and comment reach Dify's feedback", async () => {
    const { page } = desk
    const dify = (await difyUrl()).replace(/\/v1$/, '')
    await fetch(`${dify}/_emulator/calls`, { method: 'DELETE' })
    await lastAnswer(page).getByRole('button', { name: 'Bad Response' }).click()
    const form = page.getByTestId('dislike-form')
    await form.getByTestId('rating-3').click()
    await form.getByTestId('reason-facts').click()
    await form.locator('textarea').fill('The table is wrong')
    await screen(page, 'dislike-light')
    await form.getByRole('button', { name: 'Save' }).click()
    const body = await until(async () => {
      const calls = (await (await fetch(`${dify}/_emulator/calls?method=POST`)).json()) as {
        calls: { route: string; body: { rating?: string; content?: string } | null }[]
      }
      return calls.calls.find((call) => call.route.includes('feedbacks'))?.body
    }, "Dify's feedback")
    expect(body.rating).toBe('dislike')
    expect(body.content).toBe('rating 3/10 · Not factually correct · The table is wrong')
  })

  it('voice: the mic transcribes through Dify; answers are read aloud through Dify', async () => {
    const { page } = desk
    // Headless Chromium refuses a microphone: the page records a tone from Web Audio instead.
    await page.addInitScript(() => {
      navigator.mediaDevices.getUserMedia = async () => {
        const context = new AudioContext()
        const tone = context.createOscillator()
        const sink = context.createMediaStreamDestination()
        tone.connect(sink)
        tone.start()
        return sink.stream
      }
    })
    await page.reload()
    await page.getByTestId('new-chat').click()
    await page.getByTestId('welcome').waitFor()
    await page.getByTestId('app-picker').click()
    await page.locator('[data-testid^=app-option-]', { hasText: 'Emulator voice' }).click()
    const mic = page.getByTestId('mic-button')
    expect(await mic.getAttribute('data-via')).toBe('dify')
    await mic.click()
    await until(async () => (await mic.getAttribute('aria-pressed')) === 'true', 'recording')
    const heard = page.waitForResponse((r) => r.url().includes('/speech-to-text'))
    await page.waitForTimeout(500) // half a second of tone; its length is not asserted
    await mic.click()
    expect((await heard).status()).toBe(200)
    await until(
      async () =>
        (await page.getByTestId('chat-input').first().inputValue()).startsWith('Transcript of'),
      'transcript in the input',
    )
    await send(page, 'Say hello')
    await waitForAnswer(page)
    const spoken = page.waitForResponse((r) => r.url().includes('/text-to-speech'))
    await lastAnswer(page).getByTestId('read-aloud').click()
    const audio = await spoken
    expect(audio.status()).toBe(200)
    expect(audio.headers()['content-type']).toContain('audio/mpeg')
  })

  it('sidebar: relative ages, Pinned folds (remembered), the collapsed rail', async () => {
    const { page } = desk
    await page.getByTestId('new-chat').click()
    const ages = await page.getByTestId('chat-age').allInnerTexts()
    for (const age of ['1d', '3d', '5d', '1w', '2w', '6w']) expect(ages).toContain(age)
    expect(ages.some((age) => /^[1-5]m$/.test(age))).toBe(true) // today's, a few minutes old
    await both(page, 'sidebar', async () => {
      await page.getByTestId('chat-row').first().waitFor()
    })
    const pinned = page.getByTestId('pinned-section')
    await pinned.getByTestId('pinned-toggle').click()
    expect(await pinned.getByTestId('chat-row').count()).toBe(0)
    await page.reload()
    await pinned.getByTestId('pinned-toggle').waitFor()
    expect(await pinned.getByTestId('chat-row').count()).toBe(0)
    await pinned.getByTestId('pinned-toggle').click()
    await pinned.getByTestId('chat-row').first().waitFor()
    await page.getByRole('button', { name: 'Close Sidebar' }).click()
    await page.getByTestId('open-sidebar').waitFor()
    await screen(page, 'sidebar-collapsed-light')
    await page.getByTestId('open-sidebar').click()
    await page.getByTestId('sidebar').waitFor()
  })

  it('mobile: the app name fits one line; the drawer opens', async () => {
    const mobile = await openSession(browser, { viewport: MOBILE, mobile: true })
    const { page } = mobile
    await ageChats(page)
    await signIn(page, admin)
    const title = page.getByTestId('welcome-title')
    await title.waitFor()
    const lineHeight = await title.evaluate((el) => parseFloat(getComputedStyle(el).lineHeight))
    expect((await title.boundingBox())!.height).toBeLessThan(lineHeight * 1.5)
    await both(page, 'mobile-closed', () => title.waitFor())
    const openDrawer = async () => {
      await page.getByTestId('welcome-title').waitFor()
      await page.getByTestId('mobile-menu').click()
      await page.getByTestId('sidebar').waitFor()
    }
    await openDrawer()
    await screen(page, 'mobile-open-light')
    await setTheme(page, 'dark')
    await openDrawer()
    await screen(page, 'mobile-open-dark')
    await setTheme(page, 'light')
    await mobile.context.close()
  })

  it('pending: the waiting screen names the admin to contact', async () => {
    await api(token, '/api/admin/settings', {
      method: 'PATCH',
      body: JSON.stringify({ signup_open: true, default_role: 'pending' }),
    })
    const waiting = {
      name: 'Pat Pending',
      email: `pat-${Date.now().toString(36)}@example.com`,
      password: 'pending-password-1',
    }
    const guest = await openSession(browser, { viewport: DESKTOP })
    await guest.page.goto('/auth')
    await guest.page.getByRole('button', { name: 'Sign up', exact: true }).click()
    await guest.page.getByPlaceholder('Enter Your Full Name').fill(waiting.name)
    await guest.page.getByPlaceholder('Enter Your Email').fill(waiting.email)
    await guest.page.getByPlaceholder('Enter Your Password').fill(waiting.password)
    await guest.page.getByRole('button', { name: 'Create Account', exact: true }).click()
    const contact = guest.page.getByTestId('admin-contact')
    await contact.waitFor()
    expect(await contact.innerText()).toContain(`Admin: ${admin.name} (${admin.email})`)
    await both(guest.page, 'pending', () => contact.waitFor())
    await guest.context.close()
  })
})
