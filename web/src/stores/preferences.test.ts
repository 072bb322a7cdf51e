// The user's settings: loaded from the server and applied, changed field by field, a panel's
// draft sends only what changed, and a new user starts from the defaults again.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import type { Preferences } from '@/api/types'

// jsdom has no matchMedia: the ui store asks it whether the screen is small or dark
window.matchMedia = ((query: string) => ({
  matches: false,
  media: query,
  addEventListener: () => undefined,
  removeEventListener: () => undefined,
})) as unknown as typeof window.matchMedia

vi.mock('@/api/auth', () => ({ authApi: { preferences: vi.fn(), updatePreferences: vi.fn() } }))
vi.mock('@/i18n', () => ({ setLocale: vi.fn(), i18n: { global: { t: (k: string) => k } } }))

const { authApi } = await import('@/api/auth')
const { setLocale } = await import('@/i18n')
const { DEFAULT_PREFERENCES, usePreferencesStore } = await import('@/stores/preferences')
const { useDraft } = await import('@/components/settings/useDraft')
const { useUiStore } = await import('@/stores/ui')

const stored = (overrides: Partial<Preferences>): Preferences => ({
  ...DEFAULT_PREFERENCES,
  ...overrides,
})

beforeEach(() => {
  setActivePinia(createPinia())
  vi.clearAllMocks()
  localStorage.clear()
})

describe('preferences store', () => {
  it('applies the theme and language the server holds', async () => {
    vi.mocked(authApi.preferences).mockResolvedValue(stored({ theme: 'dark', language: 'zh-CN' }))
    const store = usePreferencesStore()
    await store.load()
    expect(store.loaded).toBe(true)
    expect(useUiStore().theme).toBe('dark')
    expect(localStorage.getItem('theme')).toBe('dark')
    expect(setLocale).toHaveBeenCalledWith('zh-CN')
  })

  it("sends a panel's changed fields only, and nothing when nothing changed", async () => {
    vi.mocked(authApi.preferences).mockResolvedValue(stored({ wide_screen: false }))
    vi.mocked(authApi.updatePreferences).mockImplementation(async (change) =>
      stored({ ...change } as Partial<Preferences>),
    )
    const store = usePreferencesStore()
    await store.load()
    const { draft, save } = useDraft(['wide_screen', 'send_with'] as const)
    await save()
    expect(authApi.updatePreferences).not.toHaveBeenCalled()
    draft.value.wide_screen = true
    await save()
    expect(authApi.updatePreferences).toHaveBeenCalledWith({ wide_screen: true })
    expect(store.preferences.wide_screen).toBe(true)
  })

  it('forgets the last user on reset', async () => {
    vi.mocked(authApi.preferences).mockResolvedValue(stored({ chat_bubbles: false }))
    const store = usePreferencesStore()
    await store.load()
    store.reset()
    expect(store.loaded).toBe(false)
    expect(store.preferences).toEqual(DEFAULT_PREFERENCES)
  })
})
