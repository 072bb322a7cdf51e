// Files attached to the next message, uploaded to the app through the gateway as soon as they are picked.
import { ref } from 'vue'
import { toast } from 'vue-sonner'
import { appsApi } from '@/api/apps'
import type { UploadedFile } from '@/api/types'
import { rememberPreview } from '@/lib/filePreviews'

export function useAttachments() {
  const files = ref<UploadedFile[]>([])
  const uploading = ref(false)

  async function attach(appId: string, picked: File[]) {
    uploading.value = true
    try {
      for (const file of picked) {
        const uploaded = await appsApi.upload(appId, file)
        if (uploaded.type === 'image') rememberPreview(uploaded.id, file)
        files.value.push(uploaded)
      }
    } catch (error) {
      toast.error(error instanceof Error ? error.message : String(error))
    } finally {
      uploading.value = false
    }
  }

  const remove = (id: string) => (files.value = files.value.filter((f) => f.id !== id))
  /** The `files` field of a chat request; empties the list. */
  function take() {
    const taken = files.value.map((f) => ({
      type: f.type,
      transfer_method: 'local_file' as const,
      upload_file_id: f.id,
      name: f.name,
    }))
    files.value = []
    return taken
  }

  return { files, uploading, attach, remove, take }
}
