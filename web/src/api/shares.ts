// history service: shared links (a read-only snapshot of a conversation at a public URL).
import { http } from './client'
import type { Share, SharedConversation } from './types'

const path = (id: string) => `/api/shares/${encodeURIComponent(id)}`

export const sharesApi = {
  /** Creates the conversation's link, or refreshes its snapshot when it has one. */
  share: (conversationId: string) =>
    http.json<Share>(`/api/conversations/${encodeURIComponent(conversationId)}/share`, {
      method: 'POST',
    }),
  mine: () => http.json<Share[]>('/api/shares'),
  revoke: (id: string) => http.json<void>(path(id), { method: 'DELETE' }),
  /** Public: no sign-in needed. */
  get: (id: string) => http.json<SharedConversation>(path(id)),
}

/** The public address of a shared link. */
export const shareUrl = (id: string) => `${window.location.origin}/s/${encodeURIComponent(id)}`
