// The user's settings from the server: loaded after sign-in, applied (theme, language), and
// changed field by field; the browser keeps theme and language too, for the first paint.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { authApi } from '@/api/auth'
import type { Preferences, PreferencesUpdate } from '@/api/types'
import { setLocale, type Locale } from '@/i18n'
import { useUiStore } from '@/stores/ui'

export const DEFAULT_PREFERENCES: Preferences = {
  theme: 'system',
  language: null,
  wide_screen: false,
  chat_bubbles: true,
  show_timestamps: true,
  send_with: 'enter',
  auto_scroll: true,
  auto_title: true,
  default_app_id: null,
  tts_voice: null,
  tts_rate: 1,
}

export const usePreferencesStore = defineStore('preferences', () => {
  const preferences = ref<Preferences>({ ...DEFAULT_PREFERENCES })
  const loaded = ref(false)

  function apply(next: Preferences) {
    preferences.value = next
    const ui = useUiStore()
    if (ui.theme !== next.theme) ui.theme = next.theme
    if (next.language) setLocale(next.language as Locale)
  }

  async function load() {
    apply(await authApi.preferences())
    loaded.value = true
  }

  async function update(change: PreferencesUpdate) {
    apply(await authApi.updatePreferences(change))
  }

  function reset() {
    preferences.value = { ...DEFAULT_PREFERENCES }
    loaded.value = false
  }

  return { preferences, loaded, load, update, reset }
})
