// The Dify apps the user may chat with, and which one is selected.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { appsApi } from '@/api/apps'
import type { App } from '@/api/types'

export const useAppsStore = defineStore('apps', () => {
  const apps = ref<App[]>([])
  const loaded = ref(false)
  const selectedId = ref<string | null>(localStorage.getItem('app'))

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

  const byId = (id: string | null | undefined) => apps.value.find((app) => app.id === id) ?? null

  return { apps, loaded, selected, selectedId, load, select, byId }
})
