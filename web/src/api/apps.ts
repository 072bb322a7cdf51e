// chat-gateway: the Dify apps a user may use, and file uploads.
import { http } from './client'
import type { App, UploadedFile } from './types'

export const appsApi = {
  list: () => http.json<App[]>('/api/apps'),
  upload: (appId: string, file: File) => {
    const form = new FormData()
    form.append('file', file)
    form.append('app_id', appId)
    return http.json<UploadedFile>('/api/files', { method: 'POST', body: form })
  },
}
