// chat-gateway: the Dify apps a user may use, and file uploads.
import { http } from './client'
import { toApiError } from './http'
import type { App, UploadedFile } from './types'

export const appsApi = {
  list: () => http.json<App[]>('/api/apps'),
  upload: (appId: string, file: File) => {
    const form = new FormData()
    form.append('file', file)
    form.append('app_id', appId)
    return http.json<UploadedFile>('/api/files', { method: 'POST', body: form })
  },
  /** An image I attached in one of my conversations, as a blob (the gateway asks Dify). */
  preview: async (fileId: string, conversationId: string): Promise<Blob> => {
    const query = new URLSearchParams({ conversation_id: conversationId })
    const response = await http.send(
      `/api/files/${encodeURIComponent(fileId)}/preview?${query.toString()}`,
    )
    if (!response.ok) throw await toApiError(response)
    return response.blob()
  },
}
