// A recording as 16-bit PCM WAV: the one audio type every Dify version's audio-to-text accepts
// (Chromium records WebM, which Dify 1.x refuses).

/** Mono 16-bit PCM WAV of `samples` (floats in [-1, 1]) at `sampleRate`. */
export function encodeWav(samples: Float32Array, sampleRate: number): Blob {
  return new Blob([wavBytes(samples, sampleRate)], { type: 'audio/wav' })
}

export function wavBytes(samples: Float32Array, sampleRate: number): ArrayBuffer {
  const buffer = new ArrayBuffer(44 + samples.length * 2)
  const view = new DataView(buffer)
  const text = (offset: number, value: string) =>
    [...value].forEach((char, i) => view.setUint8(offset + i, char.charCodeAt(0)))
  text(0, 'RIFF')
  view.setUint32(4, 36 + samples.length * 2, true)
  text(8, 'WAVE')
  text(12, 'fmt ')
  view.setUint32(16, 16, true) // fmt chunk size
  view.setUint16(20, 1, true) // PCM
  view.setUint16(22, 1, true) // mono
  view.setUint32(24, sampleRate, true)
  view.setUint32(28, sampleRate * 2, true) // bytes per second
  view.setUint16(32, 2, true) // block align
  view.setUint16(34, 16, true) // bits per sample
  text(36, 'data')
  view.setUint32(40, samples.length * 2, true)
  samples.forEach((sample, i) => {
    const clamped = Math.max(-1, Math.min(1, sample))
    view.setInt16(44 + i * 2, clamped < 0 ? clamped * 0x8000 : clamped * 0x7fff, true)
  })
  return buffer
}

/** Decodes what MediaRecorder gave (WebM/Opus) and re-encodes its first channel as WAV. */
export async function recordingToWav(recording: Blob): Promise<Blob> {
  const context = new AudioContext()
  try {
    const audio = await context.decodeAudioData(await recording.arrayBuffer())
    return encodeWav(audio.getChannelData(0), audio.sampleRate)
  } finally {
    void context.close()
  }
}
