// The Dify apps the user may chat with, which one is selected, and the user's default app
// (the server-side preference `default_app_id`, so it follows the user to every device).
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { appsApi } from '@/api/apps'
import type { App } from '@/api/types'
import { usePreferencesStore } from '@/stores/preferences'

export const useAppsStore = defineStore('apps', () => {
  const apps = ref<App[]>([])
  const loaded = ref(false)
  const selectedId = ref<string | null>(localStorage.getItem('app'))
  const preferences = usePreferencesStore()
  const defaultId = computed(() => preferences.preferences.default_app_id ?? null)

  const selected = computed<App | null>(
    () => apps.value.find((app) => app.id === selectedId.value) ?? apps.value[0] ?? null,
  )

  async function load() {
    apps.value = await appsApi.list()
    loaded.value = true
  }

  function select(id: string) {
    selectedId.value = id
    localStorage.setItem('app', id)
  }

  /** Reads the user's default app; it is selected now only for a new chat (`forNewChat`). */
  async function loadDefault(forNewChat: boolean) {
    if (!preferences.loaded) await preferences.load()
    if (forNewChat) selectDefault()
  }

  async function setDefault(id: string) {
    await preferences.update({ default_app_id: id })
    select(id)
  }

  /** A new chat starts with the user's default app, if they chose one. */
  function selectDefault() {
    if (defaultId.value && apps.value.some((app) => app.id === defaultId.value))
      select(defaultId.value)
  }

  const byId = (id: string | null | undefined) => apps.value.find((app) => app.id === id) ?? null

  return {
    apps,
    loaded,
    selected,
    selectedId,
    defaultId,
    load,
    select,
    loadDefault,
    setDefault,
    selectDefault,
    byId,
  }
})
