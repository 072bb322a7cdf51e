// Keeps the conversation pinned to the bottom while it is at the bottom (a resumed or loaded chat),
// or a new question at the top while its answer streams below it (the last turn is tall enough).
import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue'
import { usePreferencesStore } from '@/stores/preferences'

export function useAutoScroll(scroller: Ref<HTMLElement | null>) {
  const atBottom = ref(true)
  const preferences = usePreferencesStore()
  let observer: MutationObserver | null = null

  const distance = () =>
    scroller.value
      ? scroller.value.scrollHeight - scroller.value.scrollTop - scroller.value.clientHeight
      : 0
  const onScroll = () => (atBottom.value = distance() < 80)

  function scrollToBottom(smooth = false) {
    scroller.value?.scrollTo({
      top: scroller.value.scrollHeight,
      behavior: smooth ? 'smooth' : 'auto',
    })
  }

  /** Open WebUI keeps a new question at the top while its answer grows below it. */
  function showLastQuestion() {
    const questions = scroller.value?.querySelectorAll<HTMLElement>('[data-testid=user-message]')
    const question = questions?.[questions.length - 1]
    if (!scroller.value || !question) return
    const top = question.getBoundingClientRect().top - scroller.value.getBoundingClientRect().top
    scroller.value.scrollTo({ top: scroller.value.scrollTop + top - 64 })
    onScroll()
  }

  onMounted(() => {
    scroller.value?.addEventListener('scroll', onScroll, { passive: true })
    observer = new MutationObserver(() => {
      if (atBottom.value && preferences.preferences.auto_scroll) scrollToBottom()
    })
    if (scroller.value)
      observer.observe(scroller.value, { childList: true, subtree: true, characterData: true })
  })
  onBeforeUnmount(() => {
    scroller.value?.removeEventListener('scroll', onScroll)
    observer?.disconnect()
  })

  return { atBottom, scrollToBottom, showLastQuestion }
}
