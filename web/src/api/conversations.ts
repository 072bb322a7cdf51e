// history service: conversations, their messages, export and usage.
import { http } from './client'
import type {
  Conversation,
  ConversationPage,
  ConversationUpdate,
  Message,
  MessagePage,
  UsageReport,
} from './types'

export interface ConversationQuery {
  cursor?: string | null
  limit?: number
  app_id?: string
  pinned?: boolean
  archived?: boolean
  q?: string
  folder_id?: string
  in_folder?: boolean
}

function query(params: object): string {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value))
  }
  const text = search.toString()
  return text ? `?${text}` : ''
}

export const conversationsApi = {
  list: (params: ConversationQuery = {}) =>
    http.json<ConversationPage>(`/api/conversations${query(params)}`),
  get: (id: string) => http.json<Conversation>(`/api/conversations/${encodeURIComponent(id)}`),
  editMessage: (id: string, content: string) =>
    http.json<Message>(`/api/messages/${encodeURIComponent(id)}`, {
      method: 'PATCH',
      body: { content },
    }),
  messages: (id: string, cursor?: string | null) =>
    http.json<MessagePage>(
      `/api/conversations/${encodeURIComponent(id)}/messages${query({ cursor, limit: 100 })}`,
    ),
  update: (id: string, patch: ConversationUpdate) =>
    http.json<Conversation>(`/api/conversations/${encodeURIComponent(id)}`, {
      method: 'PATCH',
      body: patch,
    }),
  /** A copy that continues as a new Dify conversation (201). */
  clone: (id: string) =>
    http.json<Conversation>(`/api/conversations/${encodeURIComponent(id)}/clone`, {
      method: 'POST',
    }),
  remove: (id: string) =>
    http.json<void>(`/api/conversations/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  archiveAll: () => http.json<void>('/api/conversations/archive-all', { method: 'POST' }),
  removeAll: () =>
    http.json<void>('/api/conversations', { method: 'DELETE', body: { confirm: true } }),
  export: (id: string, format: 'json' | 'markdown') =>
    http.send(`/api/conversations/${encodeURIComponent(id)}/export?format=${format}`),
  exportAll: () => http.send('/api/conversations/export'),
  adminUsage: (from?: string, to?: string) =>
    http.json<UsageReport>(`/api/admin/usage${query({ from, to })}`),
}
