// One shared clock for relative ages: ticks once a minute, for every component that asks.
import { ref, type Ref } from 'vue'

const now = ref(new Date())
let timer: ReturnType<typeof setInterval> | null = null

export function useNow(): Ref<Date> {
  timer ??= setInterval(() => (now.value = new Date()), 60_000)
  return now
}
