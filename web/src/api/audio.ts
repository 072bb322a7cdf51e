// chat-gateway: an app's voice through Dify (speech to text, text to speech).
import { toApiError } from './http'
import { http as client } from './client'

export const audioApi = {
  /** Dify's audio-to-text of the app: the recorded words. */
  speechToText: (appId: string, audio: Blob) => {
    const form = new FormData()
    form.append('file', audio, 'speech.wav')
    return client.json<{ text: string }>(`/api/apps/${encodeURIComponent(appId)}/speech-to-text`, {
      method: 'POST',
      body: form,
    })
  },
  /** Dify's text-to-audio of the app for an answer: audio to play. */
  textToSpeech: async (appId: string, text: string): Promise<Blob> => {
    const response = await client.send(`/api/apps/${encodeURIComponent(appId)}/text-to-speech`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text }),
    })
    if (!response.ok) throw await toApiError(response)
    return response.blob()
  },
}
