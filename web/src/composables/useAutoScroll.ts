// Keeps the conversation pinned to the bottom while an answer streams, unless the user scrolled up.
import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue'

export function useAutoScroll(scroller: Ref<HTMLElement | null>) {
  const atBottom = ref(true)
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

  onMounted(() => {
    scroller.value?.addEventListener('scroll', onScroll, { passive: true })
    observer = new MutationObserver(() => {
      if (atBottom.value) scrollToBottom()
    })
    if (scroller.value)
      observer.observe(scroller.value, { childList: true, subtree: true, characterData: true })
  })
  onBeforeUnmount(() => {
    scroller.value?.removeEventListener('scroll', onScroll)
    observer?.disconnect()
  })

  return { atBottom, scrollToBottom }
}
