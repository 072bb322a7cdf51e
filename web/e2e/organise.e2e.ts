// Organising chats in a real browser: the row menu's Share (a public read-only snapshot, refreshed
// and revoked), Clone, Mark as unread and Download. Self-contained: it makes its own admin (first
// run) or signs in the existing one, its own app and member through the API, and its chats through
// the chat API; it does not depend on any other e2e file having run.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import {
  admin,
  api,
  apiChat,
  apiLogin,
  BASE_URL,
  DIFY_KEY,
  difyUrl,
  launch,
  openSession,
  shot,
  signIn,
  until,
  type Session,
} from './support'

const RUN = Date.now().toString(36)
const organiser = {
  name: 'Olga Organiser',
  email: `olga-${RUN}@example.com`,
  password: 'organiser-password-1',
}

let browser: Browser
let session: Session
let visitor: Session
let token: string
let appId: string
let chatId: string

const row = (page: Page, id: string) =>
  page.locator(`[data-testid=chat-row][data-conversation-id="${id}"]`)

async function openMenu(page: Page, id: string) {
  await row(page, id).hover()
  await row(page, id).getByTestId('chat-menu').click()
}

type Conversation = { id: string; unread: boolean; title: string }
const conversation = (id: string) => api<Conversation>(token, `/api/conversations/${id}`)

beforeAll(async () => {
  const config = (await (await fetch(`${BASE_URL}/api/auth/config`)).json()) as {
    has_users: boolean
  }
  if (!config.has_users) {
    const first = await fetch(`${BASE_URL}/api/auth/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(admin),
    })
    if (!first.ok) throw new Error(`first-run admin: ${first.status} ${await first.text()}`)
  }
  const adminToken = await apiLogin(admin)
  const app = await api<{ id: string }>(adminToken, '/api/admin/apps', {
    method: 'POST',
    body: JSON.stringify({
      name: `Organise ${RUN}`,
      description: 'The Dify emulator',
      base_url: await difyUrl(),
      api_key: DIFY_KEY,
      mode: 'chat',
      icon: '',
      enabled: true,
      visible_to_roles: ['admin', 'user'],
    }),
  })
  appId = app.id
  await api(adminToken, '/api/admin/users', {
    method: 'POST',
    body: JSON.stringify({ ...organiser, role: 'user' }),
  })
  token = await apiLogin(organiser)
  chatId = await apiChat(token, { app_id: appId, query: `First question ${RUN}` })

  browser = await launch('organise')
  session = await openSession(browser)
  visitor = await openSession(browser) // no sign-in: a stranger with the link
  await signIn(session.page, organiser)
})
afterAll(async () => {
  await browser?.close()
})
afterEach(async ({ task }) => {
  if (task.result?.state !== 'fail') return
  const name = task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)
  await shot(session.page, `organise/failed-${name}`).catch(() => undefined)
  await shot(visitor.page, `organise/failed-${name}-visitor`).catch(() => undefined)
})

describe('the chat row menu', () => {
  let shareUrl = ''

  it('Share creates a public link that shows exactly the snapshot, read-only', async () => {
    const { page } = session
    await page.goto(`/c/${chatId}`)
    await openMenu(page, chatId)
    await page.getByTestId('chat-share').click()
    const url = page.getByTestId('share-url')
    await url.waitFor()
    shareUrl = await url.inputValue()
    expect(shareUrl).toMatch(new RegExp(`^${BASE_URL}/s/[^/]+$`))
    // The link is copied as it is created.
    await until(
      async () => (await page.evaluate(() => navigator.clipboard.readText())) === shareUrl,
      'share link in the clipboard',
    )
    await shot(page, 'organise/share-dialog-light')
    await page.keyboard.press('Escape')

    // A later turn is not part of the snapshot.
    await apiChat(token, { app_id: appId, query: `Later question ${RUN}`, conversation_id: chatId })

    const stranger = visitor.page
    await stranger.goto(shareUrl)
    await stranger.getByTestId('shared-view').waitFor()
    const questions = await stranger.getByTestId('shared-user-message').allInnerTexts()
    expect(questions.map((q) => q.trim())).toEqual([`First question ${RUN}`])
    const answers = stranger.getByTestId('shared-answer')
    expect(await answers.count()).toBe(1)
    expect((await answers.first().innerText()).trim()).not.toBe('')
    // Read-only: no input bar, no message actions, and the stranger was not sent to sign in.
    expect(await stranger.getByTestId('chat-input').count()).toBe(0)
    expect(await stranger.locator('textarea, [contenteditable=true]').count()).toBe(0)
    expect(new URL(stranger.url()).pathname).toMatch(/^\/s\//)
    await shot(stranger, 'organise/shared-page-light')
    expect(visitor.problems).toEqual([])
  })

  it('sharing again refreshes the snapshot, and a deleted link shows not-found', async () => {
    const { page } = session
    await openMenu(page, chatId)
    await page.getByTestId('chat-share').click()
    await until(
      async () =>
        (await page.getByTestId('share-url').count()) &&
        (await page.getByTestId('share-url').inputValue()) === shareUrl,
      'the same link, refreshed',
    )
    const stranger = visitor.page
    await stranger.goto(shareUrl)
    await stranger.getByTestId('shared-view').waitFor()
    expect(
      (await stranger.getByTestId('shared-user-message').allInnerTexts()).map((q) => q.trim()),
    ).toEqual([`First question ${RUN}`, `Later question ${RUN}`])

    await page.getByTestId('share-revoke').click()
    await until(async () => (await page.getByTestId('share-dialog').count()) === 0, 'dialog closed')
    expect(await api<unknown[]>(token, '/api/shares')).toEqual([])
    await stranger.goto(shareUrl)
    await stranger.getByTestId('shared-not-found').waitFor()
    expect(await stranger.getByTestId('shared-user-message').count()).toBe(0)
  })

  it('Clone opens a copy of the chat with its messages', async () => {
    const { page } = session
    await openMenu(page, chatId)
    await page.getByTestId('chat-clone').click()
    await page.waitForURL((url) => url.pathname.startsWith('/c/') && !url.pathname.endsWith(chatId))
    const copyId = new URL(page.url()).pathname.split('/').pop() ?? ''
    await row(page, copyId).waitFor()
    await until(
      async () => (await page.getByTestId('user-message').count()) === 2,
      'the copied questions',
    )
    expect(await page.getByTestId('user-message').first().innerText()).toContain(
      `First question ${RUN}`,
    )
    expect((await conversation(copyId)).id).toBe(copyId)
  })

  it('Mark as unread shows a dot until the chat is opened', async () => {
    const { page } = session
    await page.goto('/')
    await row(page, chatId).waitFor()
    await openMenu(page, chatId)
    await page.getByTestId('chat-mark-unread').click()
    await row(page, chatId).getByTestId('chat-unread').waitFor()
    expect((await conversation(chatId)).unread).toBe(true)
    await page.reload()
    await row(page, chatId).getByTestId('chat-unread').waitFor() // stored, not only shown

    await row(page, chatId).locator('a').click()
    await page.waitForURL((url) => url.pathname === `/c/${chatId}`)
    await until(
      async () => (await row(page, chatId).getByTestId('chat-unread').count()) === 0,
      'the dot gone',
    )
    await until(async () => !(await conversation(chatId)).unread, 'read on the server')
  })

  it('Download offers JSON and Markdown', async () => {
    const { page } = session
    for (const [label, suffix] of [
      ['Export chat (.json)', '.json'],
      ['Markdown (.md)', '.md'],
    ]) {
      await openMenu(page, chatId)
      await page.getByTestId('chat-download').hover()
      const menu = page.getByTestId('chat-download-menu')
      await menu.waitFor()
      const download = page.waitForEvent('download')
      await menu.getByText(label).click()
      const name = (await download).suggestedFilename() // the server's Content-Disposition
      expect(name).toContain(chatId)
      expect(name.endsWith(suffix)).toBe(true)
    }
    expect(session.problems).toEqual([])
  })
})

describe('folders', () => {
  const folderName = `Work ${RUN}`
  let folderId = ''
  let secondId = ''
  const folder = (page: Page, id: string) =>
    page.locator(`[data-testid=folder][data-folder-id="${id}"]`)
  const inDatedList = (page: Page, id: string) =>
    page.locator(`[data-testid^="group-"] [data-conversation-id="${id}"]`)

  async function createFolder(page: Page, name: string): Promise<string> {
    await page.getByTestId('folder-create').click()
    const input = page.getByTestId('folder-name-input')
    await input.fill(name)
    await input.press('Enter')
    const created = page.locator(`[data-testid=folder][data-folder-name="${name}"]`)
    await created.waitFor()
    return (await created.getAttribute('data-folder-id')) ?? ''
  }

  it('a new folder takes a chat moved in from the row menu, out of the dated list', async () => {
    const { page } = session
    await page.goto('/')
    await row(page, chatId).waitFor()
    folderId = await createFolder(page, folderName)
    await openMenu(page, chatId)
    await page.getByTestId('chat-move').hover()
    await page.getByTestId('chat-move-menu').getByText(folderName).click()
    await folder(page, folderId)
      .getByTestId('folder-chats')
      .locator(`[data-conversation-id="${chatId}"]`)
      .waitFor()
    await until(
      async () => (await inDatedList(page, chatId).count()) === 0,
      'out of the dated list',
    )
    expect(
      (await api<{ folder_id: string }>(token, `/api/conversations/${chatId}`)).folder_id,
    ).toBe(folderId)
    await shot(page, 'organise/sidebar-folders-light')
  })

  it('a chat dragged onto a folder moves into it', async () => {
    const { page } = session
    secondId = await apiChat(token, { app_id: appId, query: `Dragged question ${RUN}` })
    await page.reload()
    await row(page, secondId).waitFor()
    await row(page, secondId).dragTo(folder(page, folderId))
    await folder(page, folderId).locator(`[data-conversation-id="${secondId}"]`).waitFor()
    await until(
      async () => (await inDatedList(page, secondId).count()) === 0,
      'out of the dated list',
    )
    await until(
      async () =>
        (await api<{ folder_id: string }>(token, `/api/conversations/${secondId}`)).folder_id ===
        folderId,
      'moved on the server',
    )
  })

  it('a folder is renamed from its menu', async () => {
    const { page } = session
    await folder(page, folderId).getByTestId('folder-toggle').hover()
    await folder(page, folderId).getByTestId('folder-menu').click()
    await page.getByTestId('folder-rename').click()
    const input = page.getByTestId('folder-name-input')
    await input.fill(`Renamed ${RUN}`)
    await input.press('Enter')
    await page.locator(`[data-testid=folder][data-folder-name="Renamed ${RUN}"]`).waitFor()
    const names = (await api<{ name: string }[]>(token, '/api/folders')).map((f) => f.name)
    expect(names).toContain(`Renamed ${RUN}`)
    expect(names).not.toContain(folderName)
  })

  it('deleting a folder keeps its chats unless asked to delete them too', async () => {
    const { page } = session
    await folder(page, folderId).getByTestId('folder-toggle').hover()
    await folder(page, folderId).getByTestId('folder-menu').click()
    await page.getByTestId('folder-delete').click()
    await page.getByTestId('folder-delete-confirm').click() // "delete the chats too" left unticked
    await until(async () => (await folder(page, folderId).count()) === 0, 'folder gone')
    await inDatedList(page, chatId).waitFor()
    await inDatedList(page, secondId).waitFor()

    const trashId = await createFolder(page, `Trash ${RUN}`)
    await row(page, secondId).dragTo(folder(page, trashId))
    await folder(page, trashId).locator(`[data-conversation-id="${secondId}"]`).waitFor()
    await folder(page, trashId).getByTestId('folder-toggle').hover()
    await folder(page, trashId).getByTestId('folder-menu').click()
    await page.getByTestId('folder-delete').click()
    await page.getByTestId('folder-delete-chats').check()
    await page.getByTestId('folder-delete-confirm').click()
    await until(async () => (await folder(page, trashId).count()) === 0, 'folder gone')
    await until(async () => (await row(page, secondId).count()) === 0, 'its chat gone')
    const gone = await fetch(`${BASE_URL}/api/conversations/${secondId}`, {
      headers: { Authorization: `Bearer ${token}` },
    })
    expect(gone.status).toBe(404)
    expect((await conversation(chatId)).id).toBe(chatId) // the other folder's chat was kept
    expect(session.problems).toEqual([])
  })
})
