// The sidebar's folders: the list, which are open, and their chats. A folder's chats live in the
// conversations store (so every row action keeps working on them); the dated list leaves them out.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { foldersApi } from '@/api/folders'
import { conversationsApi } from '@/api/conversations'
import type { Folder } from '@/api/types'
import { useConversationsStore } from './conversations'

export const useFoldersStore = defineStore('folders', () => {
  const folders = ref<Folder[]>([])
  const open = ref<Record<string, boolean>>({})
  const conversations = useConversationsStore()

  const sortByName = (list: Folder[]) => [...list].sort((a, b) => a.name.localeCompare(b.name))

  async function reload() {
    folders.value = await foldersApi.list()
    await Promise.all(folders.value.filter((f) => open.value[f.id]).map((f) => loadChats(f.id)))
  }

  async function loadChats(folderId: string) {
    const page = await conversationsApi.list({ folder_id: folderId, archived: false, limit: 100 })
    conversations.merge(page.items)
  }

  async function toggle(folderId: string, value = !open.value[folderId]) {
    open.value = { ...open.value, [folderId]: value }
    if (value) await loadChats(folderId)
  }

  async function create(name: string) {
    const folder = await foldersApi.create(name)
    folders.value = sortByName([...folders.value, folder])
    return folder
  }

  async function rename(id: string, name: string) {
    const folder = await foldersApi.rename(id, name)
    folders.value = sortByName(folders.value.map((f) => (f.id === id ? folder : f)))
  }

  async function remove(id: string, deleteConversations: boolean) {
    await foldersApi.remove(id, deleteConversations)
    folders.value = folders.value.filter((f) => f.id !== id)
    conversations.folderRemoved(id, deleteConversations)
  }

  /** Moves a chat into a folder (opened, to show it there) or out of any (`null`). */
  async function move(conversationId: string, folderId: string | null) {
    await conversations.moveToFolder(conversationId, folderId)
    if (folderId && !open.value[folderId]) await toggle(folderId, true)
  }

  return { folders, open, reload, toggle, create, rename, remove, move }
})
