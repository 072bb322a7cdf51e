// Error toasts with the same text replace each other instead of stacking (three "Failed to fetch"
// at once say nothing more than one): each gets its text as its toast id.
import { toast } from 'vue-sonner'

export function dedupeErrorToasts(): void {
  const error = toast.error
  toast.error = (message, data) =>
    error(message, { ...(typeof message === 'string' ? { id: message } : {}), ...data })
}
