// The signed-in user's settings, kept by auth so they follow the user to every device.
import { http } from './client'
import type { Preferences, PreferencesUpdate } from './types'

export const preferencesApi = {
  get: () => http.json<Preferences>('/api/auth/me/preferences'),
  update: (change: PreferencesUpdate) =>
    http.json<Preferences>('/api/auth/me/preferences', { method: 'PATCH', body: change }),
}
