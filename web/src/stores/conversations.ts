// The sidebar's conversations: pinned ones, the paged list (infinite scroll), and row actions.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { conversationsApi } from '@/api/conversations'
import type { Conversation } from '@/api/types'
import { toast } from 'vue-sonner'

const PAGE = 30

export const useConversationsStore = defineStore('conversations', () => {
  const pinned = ref<Conversation[]>([])
  const items = ref<Conversation[]>([])
  const nextCursor = ref<string | null>(null)
  const loading = ref(false)
  const done = ref(false)

  /** Pinned conversations are shown in their own section, and those in a folder under it, not
   * again in the dated list. */
  const unpinned = computed(() => items.value.filter((c) => !c.pinned && !c.folder_id))
  const inFolder = (folderId: string) =>
    items.value
      .filter((c) => c.folder_id === folderId)
      .sort((a, b) => b.updated_at.localeCompare(a.updated_at))

  /** Conversations read elsewhere (a folder's): known ones are updated, others added. */
  function merge(list: Conversation[]) {
    const fresh = new Map(list.map((c) => [c.id, c]))
    items.value = items.value.map((c) => fresh.get(c.id) ?? c)
    const known = new Set(items.value.map((c) => c.id))
    items.value.push(...list.filter((c) => !known.has(c.id)))
  }

  async function reload() {
    loading.value = true
    try {
      const [pins, page] = await Promise.all([
        conversationsApi.list({ pinned: true, archived: false, limit: 100 }),
        conversationsApi.list({ archived: false, limit: PAGE }),
      ])
      pinned.value = pins.items
      items.value = page.items
      nextCursor.value = page.next_cursor
      done.value = !page.next_cursor
    } catch (error) {
      done.value = true
      toast.error(error instanceof Error ? error.message : String(error))
    } finally {
      loading.value = false
    }
  }

  async function loadMore() {
    if (loading.value || done.value) return
    loading.value = true
    try {
      const page = await conversationsApi.list({
        archived: false,
        limit: PAGE,
        cursor: nextCursor.value,
      })
      const known = new Set(items.value.map((c) => c.id))
      items.value.push(...page.items.filter((c) => !known.has(c.id)))
      nextCursor.value = page.next_cursor
      done.value = !page.next_cursor
    } catch (error) {
      done.value = true // stop the infinite scroll from retrying in a loop
      toast.error(error instanceof Error ? error.message : String(error))
    } finally {
      loading.value = false
    }
  }

  function replace(updated: Conversation) {
    const swap = (list: Conversation[]) => list.map((c) => (c.id === updated.id ? updated : c))
    items.value = swap(items.value)
    pinned.value =
      updated.pinned && !updated.archived
        ? [updated, ...pinned.value.filter((c) => c.id !== updated.id)]
        : pinned.value.filter((c) => c.id !== updated.id)
    if (updated.archived) items.value = items.value.filter((c) => c.id !== updated.id)
  }

  /** A chat just started: shown at the top at once, before history has stored it. */
  function showStarted(conversation: Conversation) {
    if (find(conversation.id)) return
    items.value = [conversation, ...items.value]
  }

  /** A title pushed by the server (Dify's, generated after the first answer). */
  function retitle(id: string, title: string) {
    const conversation = find(id)
    if (conversation) replace({ ...conversation, title })
  }

  const find = (id: string) =>
    items.value.find((c) => c.id === id) ?? pinned.value.find((c) => c.id === id) ?? null

  async function rename(id: string, title: string) {
    replace(await conversationsApi.update(id, { title }))
  }
  async function setPinned(id: string, value: boolean) {
    replace(await conversationsApi.update(id, { pinned: value }))
  }
  async function setArchived(id: string, value: boolean) {
    const updated = await conversationsApi.update(id, { archived: value })
    replace(updated)
    if (!value) await reload()
  }
  /** Marks a chat (un)read; opening a chat marked unread clears it. */
  async function setUnread(id: string, value: boolean) {
    replace(await conversationsApi.update(id, { unread: value }))
  }
  /** Copies a chat; the copy is shown at the top of the list. */
  async function clone(id: string) {
    const copy = await conversationsApi.clone(id)
    items.value = [copy, ...items.value.filter((c) => c.id !== copy.id)]
    return copy
  }
  async function moveToFolder(id: string, folderId: string | null) {
    const updated = await conversationsApi.update(id, { folder_id: folderId })
    replace(updated)
    merge([updated]) // a pinned chat not in the loaded pages yet
  }
  /** A folder was deleted: its chats went with it, or are back in the dated list. */
  function folderRemoved(folderId: string, withConversations: boolean) {
    items.value = withConversations
      ? items.value.filter((c) => c.folder_id !== folderId)
      : items.value.map((c) => (c.folder_id === folderId ? { ...c, folder_id: null } : c))
    if (withConversations) pinned.value = pinned.value.filter((c) => c.folder_id !== folderId)
  }
  async function remove(id: string) {
    await conversationsApi.remove(id)
    items.value = items.value.filter((c) => c.id !== id)
    pinned.value = pinned.value.filter((c) => c.id !== id)
  }

  return {
    pinned,
    items,
    unpinned,
    inFolder,
    merge,
    moveToFolder,
    folderRemoved,
    loading,
    done,
    reload,
    loadMore,
    find,
    showStarted,
    retitle,
    rename,
    setPinned,
    setArchived,
    setUnread,
    clone,
    remove,
  }
})
