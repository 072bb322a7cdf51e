// UI state: sidebar, modals, theme.
import { defineStore } from 'pinia'
import { ref, watch } from 'vue'
import { setTheme, storedTheme, type Theme } from '@/composables/useTheme'

export const MOBILE_QUERY = '(max-width: 767px)'

export const useUiStore = defineStore('ui', () => {
  const isMobile = ref(window.matchMedia(MOBILE_QUERY).matches)
  const sidebarOpen = ref(isMobile.value ? false : localStorage.getItem('sidebar') !== 'false')
  const settingsOpen = ref(false)
  const searchOpen = ref(false)
  const archivedOpen = ref(false)
  const shortcutsOpen = ref(false)
  const theme = ref<Theme>(storedTheme())

  window.matchMedia(MOBILE_QUERY).addEventListener('change', (event) => {
    isMobile.value = event.matches
    if (event.matches) sidebarOpen.value = false
  })
  watch(sidebarOpen, (open) => {
    if (!isMobile.value) localStorage.setItem('sidebar', String(open))
  })
  watch(theme, (value) => setTheme(value))

  function toggleSidebar() {
    sidebarOpen.value = !sidebarOpen.value
  }
  /** On mobile the sidebar is an overlay: close it after navigating. */
  function afterNavigate() {
    if (isMobile.value) sidebarOpen.value = false
  }

  return {
    isMobile,
    sidebarOpen,
    settingsOpen,
    searchOpen,
    archivedOpen,
    shortcutsOpen,
    theme,
    toggleSidebar,
    afterNavigate,
  }
})
