// auth service: sign in/up, session refresh, own account.
import { http } from './client'
import type {
  AdminContact,
  AuthConfig,
  Preferences,
  PreferencesUpdate,
  Session,
  User,
} from './types'

export const authApi = {
  config: () => http.json<AuthConfig>('/api/auth/config'),
  login: (email: string, password: string) =>
    http.json<Session>('/api/auth/login', { method: 'POST', body: { email, password } }),
  register: (name: string, email: string, password: string) =>
    http.json<Session>('/api/auth/register', { method: 'POST', body: { name, email, password } }),
  refresh: () => http.refresh(),
  logout: () => http.json<void>('/api/auth/logout', { method: 'POST' }),
  me: () => http.json<User>('/api/auth/me'),
  adminContact: () => http.json<AdminContact>('/api/auth/me/admin'),
  updateMe: (name: string) => http.json<User>('/api/auth/me', { method: 'PATCH', body: { name } }),
  preferences: () => http.json<Preferences>('/api/auth/me/preferences'),
  updatePreferences: (change: PreferencesUpdate) =>
    http.json<Preferences>('/api/auth/me/preferences', { method: 'PATCH', body: change }),
  changePassword: (current_password: string, new_password: string) =>
    http.json<void>('/api/auth/me/password', {
      method: 'POST',
      body: { current_password, new_password },
    }),
}
