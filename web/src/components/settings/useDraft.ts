// A panel's unsaved copy of some preferences, and the change to send when Save is pressed.
import { computed, ref } from 'vue'
import type { Preferences, PreferencesUpdate } from '@/api/types'
import { usePreferencesStore } from '@/stores/preferences'

export function useDraft<K extends keyof Preferences>(keys: readonly K[]) {
  const store = usePreferencesStore()
  const pick = () =>
    Object.fromEntries(keys.map((key) => [key, store.preferences[key]])) as Pick<Preferences, K>
  const draft = ref(pick())
  const change = computed<PreferencesUpdate>(() => {
    const saved = pick()
    return Object.fromEntries(
      keys.filter((key) => draft.value[key] !== saved[key]).map((key) => [key, draft.value[key]]),
    )
  })
  async function save() {
    if (Object.keys(change.value).length) await store.update(change.value)
    draft.value = pick()
  }
  return { draft, change, save }
}
