// Reads an answer aloud: Dify's text-to-audio when the app has it on, else the browser's speech
// synthesis. One answer speaks at a time; asking again stops it.
import { ref } from 'vue'
import { toast } from 'vue-sonner'
import { audioApi } from '@/api/audio'
import type { App } from '@/api/types'

const speaking = ref<string | null>(null)
let audio: HTMLAudioElement | null = null

function stop() {
  audio?.pause()
  audio = null
  if ('speechSynthesis' in window) window.speechSynthesis.cancel()
  speaking.value = null
}

/** Markdown reads badly aloud: code, links and marks are dropped or kept as their words. */
const plain = (markdown: string) =>
  markdown
    .replace(/```[\s\S]*?```/g, ' ')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[#*_`>|$]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()

async function read(id: string, markdown: string, app: App | null) {
  if (speaking.value === id) return stop()
  stop()
  speaking.value = id
  const text = plain(markdown)
  try {
    if (app?.text_to_speech) {
      const blob = await audioApi.textToSpeech(app.id, text)
      if (speaking.value !== id) return
      audio = new Audio(URL.createObjectURL(blob))
      audio.dataset.via = 'dify'
      audio.onended = stop
      await audio.play().catch(() => undefined) // a silent clip may refuse to play headless
    } else {
      const utterance = new SpeechSynthesisUtterance(text)
      utterance.lang = document.documentElement.lang || 'en'
      utterance.onend = stop
      window.speechSynthesis.speak(utterance)
    }
  } catch (error) {
    stop()
    toast.error(error instanceof Error ? error.message : String(error))
  }
}

export function useReadAloud() {
  return { speaking, read, stop }
}
