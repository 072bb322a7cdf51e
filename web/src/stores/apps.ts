// The Dify apps the user may chat with, which one is selected, and the user's default app
// (remembered in this browser per user: no server-side preference exists for it).
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { appsApi } from '@/api/apps'
import type { App } from '@/api/types'

const defaultKey = (userId: string) => `default-app:${userId}`

export const useAppsStore = defineStore('apps', () => {
  const apps = ref<App[]>([])
  const loaded = ref(false)
  const selectedId = ref<string | null>(localStorage.getItem('app'))
  const userId = ref<string | null>(null)
  const defaultId = ref<string | null>(null)

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

  /** The signed-in user: their default app is selected for a new chat. */
  function forUser(id: string | null) {
    userId.value = id
    defaultId.value = id ? localStorage.getItem(defaultKey(id)) : null
    if (defaultId.value) select(defaultId.value)
  }

  function setDefault(id: string) {
    if (!userId.value) return
    localStorage.setItem(defaultKey(userId.value), id)
    defaultId.value = id
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
    forUser,
    setDefault,
    selectDefault,
    byId,
  }
})
