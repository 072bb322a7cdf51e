// history service: my folders of conversations.
import { http } from './client'
import type { Folder } from './types'

const path = (id: string) => `/api/folders/${encodeURIComponent(id)}`

export const foldersApi = {
  list: () => http.json<Folder[]>('/api/folders'),
  create: (name: string) => http.json<Folder>('/api/folders', { method: 'POST', body: { name } }),
  rename: (id: string, name: string) =>
    http.json<Folder>(path(id), { method: 'PATCH', body: { name } }),
  /** Its conversations move out of the folder, or are deleted too. */
  remove: (id: string, deleteConversations: boolean) =>
    http.json<void>(`${path(id)}?delete_conversations=${deleteConversations}`, {
      method: 'DELETE',
    }),
}
