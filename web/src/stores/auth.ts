// The signed-in user and session lifecycle; the access token lives only in the http client's memory.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { authApi } from '@/api/auth'
import { bindSessionCallbacks, http } from '@/api/client'
import { setImageHosts } from '@/lib/markdown'
import type { AuthConfig, Session, User } from '@/api/types'
import { usePreferencesStore } from '@/stores/preferences'

export const useAuthStore = defineStore('auth', () => {
  const user = ref<User | null>(null)
  const config = ref<AuthConfig | null>(null)
  const ready = ref(false)
  /** Set when a refresh failed mid-session: the router sends the user to sign-in. */
  const sessionLost = ref(false)

  const isAdmin = computed(() => user.value?.role === 'admin')
  const isPending = computed(() => user.value?.role === 'pending')

  function adopt(session: Session) {
    const preferences = usePreferencesStore()
    if (user.value?.id !== session.user.id) preferences.reset()
    http.setToken(session.access_token)
    user.value = session.user
    sessionLost.value = false
    // the user's settings follow them from the server (pending accounts have none yet)
    if (session.user.role !== 'pending' && !preferences.loaded) {
      void preferences.load().catch(() => undefined)
    }
  }

  bindSessionCallbacks({
    onSession: (session) => {
      user.value = session.user
    },
    onAuthLost: () => {
      if (user.value) sessionLost.value = true
      user.value = null
    },
  })

  /** On page load: the refresh cookie (if any) gives us a session without asking for a password. */
  async function init() {
    if (ready.value) return
    const [session] = await Promise.all([authApi.refresh(), loadConfig()])
    if (session) adopt(session)
    ready.value = true
  }

  async function loadConfig() {
    config.value = await authApi
      .config()
      .catch(() => ({ signup_open: true, has_users: true, image_hosts: [] }))
    setImageHosts(config.value.image_hosts ?? [])
  }

  async function login(email: string, password: string) {
    adopt(await authApi.login(email, password))
  }

  async function register(name: string, email: string, password: string) {
    adopt(await authApi.register(name, email, password))
    void loadConfig()
  }

  async function logout() {
    await authApi.logout().catch(() => undefined)
    http.setToken(null)
    user.value = null
    usePreferencesStore().reset()
  }

  /**
   * The pending overlay's "Check again": a new session carries the current role. Approval
   * revokes the user's sessions on the server, so "signed out" is a possible answer too.
   */
  async function checkAgain(): Promise<'approved' | 'pending' | 'signed-out'> {
    const session = await authApi.refresh()
    if (!session) {
      user.value = null
      return 'signed-out'
    }
    adopt(session)
    return isPending.value ? 'pending' : 'approved'
  }

  async function updateName(name: string) {
    user.value = await authApi.updateMe(name)
  }

  return {
    user,
    config,
    ready,
    sessionLost,
    isAdmin,
    isPending,
    init,
    loadConfig,
    login,
    register,
    logout,
    checkAgain,
    updateName,
  }
})
