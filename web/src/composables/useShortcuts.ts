// Global keyboard shortcuts (UI_REFERENCE §1.10: the ones that apply to ReChat).
import { onBeforeUnmount, onMounted } from 'vue'
import { useRouter } from 'vue-router'
import { useI18n } from 'vue-i18n'
import { toast } from 'vue-sonner'
import { useChatStore } from '@/stores/chat'
import { useUiStore } from '@/stores/ui'

export const SHORTCUTS = [
  { keys: ['⌘/Ctrl', 'Shift', 'O'], action: 'shortcuts.newChat' },
  { keys: ['⌘/Ctrl', 'K'], action: 'shortcuts.search' },
  { keys: ['Esc'], action: 'shortcuts.stop' },
  { keys: ['Shift', 'Esc'], action: 'shortcuts.focusInput' },
  { keys: ['⌘/Ctrl', 'Shift', 'C'], action: 'shortcuts.copyLast' },
  { keys: ['⌘/Ctrl', 'Shift', 'S'], action: 'shortcuts.toggleSidebar' },
  { keys: ['⌘/Ctrl', '/'], action: 'shortcuts.show' },
] as const

export function focusChatInput(): void {
  document.getElementById('chat-input')?.focus()
}

export function useShortcuts(): void {
  const router = useRouter()
  const ui = useUiStore()
  const chat = useChatStore()
  const { t } = useI18n()

  function copyLast() {
    const last = [...chat.messages].reverse().find((m) => m.role === 'assistant' && m.content)
    if (!last) return
    void navigator.clipboard
      .writeText(last.content)
      .then(() => toast.success(t('common.copiedToast')))
  }

  function onKey(event: KeyboardEvent) {
    const mod = event.metaKey || event.ctrlKey
    const key = event.key.toLowerCase()
    const handled = (run: () => void) => {
      event.preventDefault()
      run()
    }
    if (mod && event.shiftKey && key === 'o') handled(() => void router.push('/'))
    else if (mod && !event.shiftKey && key === 'k') handled(() => (ui.searchOpen = true))
    else if (mod && event.shiftKey && key === 'c') handled(copyLast)
    else if (mod && event.shiftKey && key === 's') handled(ui.toggleSidebar)
    else if (mod && key === '/') handled(() => (ui.shortcutsOpen = true))
    else if (key === 'escape' && event.shiftKey) handled(focusChatInput)
    else if (key === 'escape' && chat.streaming) handled(() => void chat.stop())
  }

  onMounted(() => window.addEventListener('keydown', onKey))
  onBeforeUnmount(() => window.removeEventListener('keydown', onKey))
}
