import { describe, expect, it } from 'vitest'
import { wavBytes } from './wav'

describe('wavBytes', () => {
  it('writes a mono 16-bit PCM WAV header and clamped samples', () => {
    const view = new DataView(wavBytes(new Float32Array([0, 1, -1, 2]), 16000))
    const ascii = (offset: number) =>
      String.fromCharCode(...[0, 1, 2, 3].map((i) => view.getUint8(offset + i)))
    expect([ascii(0), ascii(8), ascii(12), ascii(36)]).toEqual(['RIFF', 'WAVE', 'fmt ', 'data'])
    expect(view.getUint32(24, true)).toBe(16000)
    expect(view.getUint32(40, true)).toBe(8)
    expect([1, 2, 3, 4].map((i) => view.getInt16(42 + i * 2, true))).toEqual([
      0, 32767, -32768, 32767,
    ])
  })
})
