// Admin endpoints: users and sign-up settings (auth), Dify apps (chat-gateway).
import { http } from './client'
import type {
  AdminApp,
  AdminAppCreate,
  AdminAppUpdate,
  AdminSettings,
  AdminSettingsUpdate,
  AppTestResult,
  Role,
  User,
  UserPage,
} from './types'

export const adminApi = {
  users: (q = '', limit = 50, offset = 0) =>
    http.json<UserPage>(
      `/api/admin/users?${new URLSearchParams({ q, limit: String(limit), offset: String(offset), sort: '-created_at' })}`,
    ),
  updateUser: (id: string, patch: { role?: Role; active?: boolean }) =>
    http.json<User>(`/api/admin/users/${encodeURIComponent(id)}`, { method: 'PATCH', body: patch }),
  deleteUser: (id: string) =>
    http.json<void>(`/api/admin/users/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  resetPassword: (id: string, password: string) =>
    http.json<void>(`/api/admin/users/${encodeURIComponent(id)}/password`, {
      method: 'POST',
      body: { password },
    }),
  settings: () => http.json<AdminSettings>('/api/admin/settings'),
  updateSettings: (patch: AdminSettingsUpdate) =>
    http.json<AdminSettings>('/api/admin/settings', { method: 'PATCH', body: patch }),
  apps: () => http.json<AdminApp[]>('/api/admin/apps'),
  createApp: (app: AdminAppCreate) =>
    http.json<AdminApp>('/api/admin/apps', { method: 'POST', body: app }),
  updateApp: (id: string, patch: AdminAppUpdate) =>
    http.json<AdminApp>(`/api/admin/apps/${encodeURIComponent(id)}`, {
      method: 'PATCH',
      body: patch,
    }),
  deleteApp: (id: string) =>
    http.json<void>(`/api/admin/apps/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  testApp: (id: string) =>
    http.json<AppTestResult>(`/api/admin/apps/${encodeURIComponent(id)}/test`, { method: 'POST' }),
}
