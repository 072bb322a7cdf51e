// Entry point: Pinia, router, i18n, theme watcher.
import { createApp } from 'vue'
import { createPinia } from 'pinia'
import '@fontsource-variable/inter'
import 'katex/dist/katex.min.css'
import 'vue-sonner/style.css'
import '@/styles/main.css'
import App from './App.vue'
import { i18n } from '@/i18n'
import { router } from './router'
import { watchSystemTheme } from '@/composables/useTheme'
import { dedupeErrorToasts } from '@/lib/toasts'

watchSystemTheme()
dedupeErrorToasts()
document.documentElement.lang = i18n.global.locale.value
createApp(App).use(createPinia()).use(router).use(i18n).mount('#app')
