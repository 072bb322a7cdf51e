// Test data shared by the store tests.
import type { Conversation } from '@/api/types'

/** A stored conversation as history lists it; `overrides` set the fields a test is about. */
export const conversation = (id: string, overrides: Partial<Conversation> = {}): Conversation => ({
  id,
  app_id: 'app',
  title: id,
  pinned: false,
  archived: false,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  preview: '',
  folder_id: null,
  unread: false,
  ...overrides,
})
