import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

const preview = vi.fn<(fileId: string, conversationId: string) => Promise<Blob>>()
vi.mock('@/api/apps', () => ({ appsApi: { preview } }))

describe('attachment thumbnails', () => {
  let made = 0
  beforeEach(() => {
    made = 0
    URL.createObjectURL = () => `blob:thumb-${++made}`
    preview.mockReset()
  })
  afterEach(() => vi.resetModules())

  it('shows the picked file without asking the server', async () => {
    const { previewUrl, rememberPreview } = await import('./filePreviews')
    rememberPreview('f1', new Blob(['png']))
    expect(await previewUrl('f1', 'c1')).toBe('blob:thumb-1')
    expect(preview).not.toHaveBeenCalled()
  })

  it('fetches a stored image once, through the conversation it was sent in', async () => {
    const { previewUrl } = await import('./filePreviews')
    preview.mockResolvedValue(new Blob(['png']))
    expect(await previewUrl('f2', 'c1')).toBe('blob:thumb-1')
    expect(await previewUrl('f2', 'c1')).toBe('blob:thumb-1')
    expect(preview).toHaveBeenCalledTimes(1)
    expect(preview).toHaveBeenCalledWith('f2', 'c1')
  })

  it('gives no thumbnail when the image cannot be had, and asks again later', async () => {
    const { previewUrl } = await import('./filePreviews')
    preview.mockRejectedValueOnce(new Error('file_not_found'))
    expect(await previewUrl('f3', 'c1')).toBeNull()
    expect(await previewUrl('f3', null)).toBeNull()
    preview.mockResolvedValue(new Blob(['png']))
    expect(await previewUrl('f3', 'c1')).toBe('blob:thumb-1')
  })
})
