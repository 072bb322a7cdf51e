// chat-gateway: sending, resuming, stopping and regenerating answers (SSE responses), feedback.
import { http } from './client'
import type { FeedbackBody, SendBody, StopResult } from './types'

const streamHeaders = { Accept: 'text/event-stream' }

export const chatApi = {
  send: (body: SendBody, signal?: AbortSignal) =>
    http.send('/api/chat/messages', {
      method: 'POST',
      headers: { ...streamHeaders, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      signal,
    }),
  resume: (messageId: string, lastEventId: string | null, signal?: AbortSignal) =>
    http.send(`/api/chat/messages/${encodeURIComponent(messageId)}/stream`, {
      headers:
        lastEventId === null ? streamHeaders : { ...streamHeaders, 'Last-Event-ID': lastEventId },
      signal,
    }),
  regenerate: (messageId: string, signal?: AbortSignal) =>
    http.send(`/api/chat/messages/${encodeURIComponent(messageId)}/regenerate`, {
      method: 'POST',
      headers: streamHeaders,
      signal,
    }),
  stop: (messageId: string) =>
    http.json<StopResult>(`/api/chat/messages/${encodeURIComponent(messageId)}/stop`, {
      method: 'POST',
    }),
  feedback: (messageId: string, feedback: FeedbackBody) =>
    http.json<void>(`/api/chat/messages/${encodeURIComponent(messageId)}/feedback`, {
      method: 'POST',
      body: feedback,
    }),
}
