// auth service: sign in/up, session refresh, own account.
import { http } from './client'
import type { AuthConfig, Session, User } from './types'

export const authApi = {
  config: () => http.json<AuthConfig>('/api/auth/config'),
  login: (email: string, password: string) =>
    http.json<Session>('/api/auth/login', { method: 'POST', body: { email, password } }),
  register: (name: string, email: string, password: string) =>
    http.json<Session>('/api/auth/register', { method: 'POST', body: { name, email, password } }),
  refresh: () => http.refresh(),
  logout: () => http.json<void>('/api/auth/logout', { method: 'POST' }),
  me: () => http.json<User>('/api/auth/me'),
  updateMe: (name: string) => http.json<User>('/api/auth/me', { method: 'PATCH', body: { name } }),
  changePassword: (current_password: string, new_password: string) =>
    http.json<void>('/api/auth/me/password', {
      method: 'POST',
      body: { current_password, new_password },
    }),
}
