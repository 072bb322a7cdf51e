// The folders store: a folder's chats live in the conversations store, out of the dated list;
// moving in and out, and deleting a folder with or without its chats.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import type { Folder } from '@/api/types'
import { conversation } from './testing'

vi.mock('vue-sonner', () => ({ toast: { error: vi.fn(), success: vi.fn() } }))
vi.mock('@/api/conversations', () => ({
  conversationsApi: { list: vi.fn(), update: vi.fn(), remove: vi.fn(), clone: vi.fn() },
}))
vi.mock('@/api/folders', () => ({
  foldersApi: { list: vi.fn(), create: vi.fn(), rename: vi.fn(), remove: vi.fn() },
}))

const { conversationsApi } = await import('@/api/conversations')
const { foldersApi } = await import('@/api/folders')
const { useConversationsStore } = await import('@/stores/conversations')
const { useFoldersStore } = await import('@/stores/folders')

const folder = (id: string, name = id): Folder => ({
  id,
  name,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
})

beforeEach(async () => {
  setActivePinia(createPinia())
  vi.clearAllMocks()
  vi.mocked(conversationsApi.list)
    .mockResolvedValueOnce({ items: [], next_cursor: null })
    .mockResolvedValueOnce({ items: [conversation('a'), conversation('b')], next_cursor: null })
  await useConversationsStore().reload()
})

describe('folders store', () => {
  it('lists an opened folder’s chats under it and not in the dated list', async () => {
    vi.mocked(foldersApi.list).mockResolvedValueOnce([folder('f')])
    const folders = useFoldersStore()
    const chats = useConversationsStore()
    await folders.reload()
    vi.mocked(conversationsApi.list).mockResolvedValueOnce({
      items: [conversation('c', { folder_id: 'f' })],
      next_cursor: null,
    })
    await folders.toggle('f')
    expect(conversationsApi.list).toHaveBeenLastCalledWith({
      folder_id: 'f',
      archived: false,
      limit: 100,
    })
    expect(chats.inFolder('f').map((c) => c.id)).toEqual(['c'])
    expect(chats.unpinned.map((c) => c.id)).toEqual(['a', 'b'])
  })

  it('moves a chat in (opening the folder) and out again', async () => {
    const folders = useFoldersStore()
    const chats = useConversationsStore()
    vi.mocked(foldersApi.create).mockResolvedValueOnce(folder('f', 'Work'))
    await folders.create('Work')
    expect(folders.folders.map((f) => f.name)).toEqual(['Work'])

    vi.mocked(conversationsApi.update).mockResolvedValueOnce(conversation('a', { folder_id: 'f' }))
    vi.mocked(conversationsApi.list).mockResolvedValueOnce({
      items: [conversation('a', { folder_id: 'f' })],
      next_cursor: null,
    })
    await folders.move('a', 'f')
    expect(conversationsApi.update).toHaveBeenLastCalledWith('a', { folder_id: 'f' })
    expect(folders.open.f).toBe(true)
    expect(chats.inFolder('f').map((c) => c.id)).toEqual(['a'])
    expect(chats.unpinned.map((c) => c.id)).toEqual(['b'])

    vi.mocked(conversationsApi.update).mockResolvedValueOnce(conversation('a'))
    await folders.move('a', null)
    expect(chats.inFolder('f')).toEqual([])
    expect(chats.unpinned.map((c) => c.id)).toEqual(['a', 'b'])
  })

  it('deleting a folder moves its chats out, or deletes them too', async () => {
    const folders = useFoldersStore()
    const chats = useConversationsStore()
    vi.mocked(foldersApi.list).mockResolvedValueOnce([folder('f'), folder('g')])
    await folders.reload()
    chats.merge([conversation('x', { folder_id: 'f' }), conversation('y', { folder_id: 'g' })])

    await folders.remove('f', false)
    expect(foldersApi.remove).toHaveBeenLastCalledWith('f', false)
    expect(chats.unpinned.map((c) => c.id)).toEqual(['a', 'b', 'x'])
    await folders.remove('g', true)
    expect(foldersApi.remove).toHaveBeenLastCalledWith('g', true)
    expect(chats.find('y')).toBeNull()
    expect(folders.folders).toEqual([])
  })
})
