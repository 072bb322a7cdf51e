// The sidebar store: pinned apart from the dated list, paging without repeats, row actions.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { conversation } from './testing'

vi.mock('vue-sonner', () => ({ toast: { error: vi.fn(), success: vi.fn() } }))
vi.mock('@/api/conversations', () => ({
  conversationsApi: { list: vi.fn(), update: vi.fn(), remove: vi.fn(), clone: vi.fn() },
}))

const { conversationsApi } = await import('@/api/conversations')
const { useConversationsStore } = await import('@/stores/conversations')

beforeEach(() => {
  setActivePinia(createPinia())
  vi.clearAllMocks()
})

describe('conversations store', () => {
  it('shows pinned conversations once, and pages on without repeating a row', async () => {
    const pin = conversation('p', { pinned: true })
    vi.mocked(conversationsApi.list)
      .mockResolvedValueOnce({ items: [pin], next_cursor: null })
      .mockResolvedValueOnce({ items: [pin, conversation('a')], next_cursor: 'next' })
      .mockResolvedValueOnce({ items: [conversation('a'), conversation('b')], next_cursor: null })
    const store = useConversationsStore()
    await store.reload()
    expect(store.pinned.map((c) => c.id)).toEqual(['p'])
    expect(store.unpinned.map((c) => c.id)).toEqual(['a'])
    expect(store.done).toBe(false)

    await store.loadMore()
    expect(conversationsApi.list).toHaveBeenLastCalledWith({
      archived: false,
      limit: 30,
      cursor: 'next',
    })
    expect(store.unpinned.map((c) => c.id)).toEqual(['a', 'b'])
    expect(store.done).toBe(true)
    await store.loadMore() // nothing more to ask for
    expect(conversationsApi.list).toHaveBeenCalledTimes(3)
  })

  it('moves a conversation into pinned and out of the list when archived', async () => {
    vi.mocked(conversationsApi.list)
      .mockResolvedValueOnce({ items: [], next_cursor: null })
      .mockResolvedValueOnce({ items: [conversation('a'), conversation('b')], next_cursor: null })
    const store = useConversationsStore()
    await store.reload()

    vi.mocked(conversationsApi.update).mockResolvedValueOnce(conversation('a', { pinned: true }))
    await store.setPinned('a', true)
    expect(store.pinned.map((c) => c.id)).toEqual(['a'])
    expect(store.unpinned.map((c) => c.id)).toEqual(['b'])

    vi.mocked(conversationsApi.update).mockResolvedValueOnce(conversation('b', { archived: true }))
    await store.setArchived('b', true)
    expect(store.items.map((c) => c.id)).toEqual(['a'])
    expect(store.find('b')).toBeNull()
  })

  it('marks a chat unread and read again, and shows a clone at the top', async () => {
    vi.mocked(conversationsApi.list)
      .mockResolvedValueOnce({ items: [], next_cursor: null })
      .mockResolvedValueOnce({ items: [conversation('a'), conversation('b')], next_cursor: null })
    const store = useConversationsStore()
    await store.reload()

    vi.mocked(conversationsApi.update).mockResolvedValueOnce(conversation('b', { unread: true }))
    await store.setUnread('b', true)
    expect(conversationsApi.update).toHaveBeenLastCalledWith('b', { unread: true })
    expect(store.find('b')?.unread).toBe(true)
    vi.mocked(conversationsApi.update).mockResolvedValueOnce(conversation('b'))
    await store.setUnread('b', false)
    expect(store.find('b')?.unread).toBe(false)

    vi.mocked(conversationsApi.clone).mockResolvedValueOnce(conversation('copy'))
    const copy = await store.clone('b')
    expect(copy.id).toBe('copy')
    expect(store.items.map((c) => c.id)).toEqual(['copy', 'a', 'b'])
  })

  it('stops paging after a failed page instead of retrying in a loop', async () => {
    vi.mocked(conversationsApi.list).mockRejectedValue(new Error('history is down'))
    const store = useConversationsStore()
    await store.reload()
    expect(store.done).toBe(true)
    expect(store.loading).toBe(false)
  })
})
