// Mobile gestures: swipe right from the left edge opens the sidebar, swipe left closes it.
import { onBeforeUnmount, onMounted } from 'vue'
import { useUiStore } from '@/stores/ui'

const EDGE = 40

export function useSidebarSwipe(): void {
  const ui = useUiStore()
  let startX: number | null = null
  let startY = 0

  function onStart(event: TouchEvent) {
    const touch = event.touches[0]
    if (!ui.isMobile || !touch) return
    startX = ui.sidebarOpen || touch.clientX < EDGE ? touch.clientX : null
    startY = touch.clientY
  }
  function onEnd(event: TouchEvent) {
    const touch = event.changedTouches[0]
    if (startX === null || !touch) return
    const dx = touch.clientX - startX
    const threshold = window.innerWidth / 8
    if (Math.abs(touch.clientY - startY) < Math.abs(dx)) {
      if (!ui.sidebarOpen && dx >= threshold) ui.sidebarOpen = true
      else if (ui.sidebarOpen && -dx >= threshold) ui.sidebarOpen = false
    }
    startX = null
  }

  onMounted(() => {
    window.addEventListener('touchstart', onStart, { passive: true })
    window.addEventListener('touchend', onEnd, { passive: true })
  })
  onBeforeUnmount(() => {
    window.removeEventListener('touchstart', onStart)
    window.removeEventListener('touchend', onEnd)
  })
}
