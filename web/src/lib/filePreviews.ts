// Thumbnails of the images a user attached: the picked file itself while it is at hand, else the
// gateway's copy from Dify (fetched with the session, shown through a blob: URL the CSP allows).
import { appsApi } from '@/api/apps'

const urls = new Map<string, Promise<string | null>>()

/** The picked file stands in for its upload (no round trip for the message just sent). */
export function rememberPreview(fileId: string, file: Blob): void {
  urls.set(fileId, Promise.resolve(URL.createObjectURL(file)))
}

/** An object URL of the image, or null when it cannot be shown (gone, not an image...). */
export function previewUrl(fileId: string, conversationId: string | null): Promise<string | null> {
  const known = urls.get(fileId)
  if (known) return known
  if (!conversationId) return Promise.resolve(null)
  const loading = appsApi
    .preview(fileId, conversationId)
    .then((blob) => URL.createObjectURL(blob))
    .catch(() => {
      urls.delete(fileId) // asked again next time (the message may not have reached Dify yet)
      return null
    })
  urls.set(fileId, loading)
  return loading
}
