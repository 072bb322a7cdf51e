// Human label for a date group (Today, Yesterday, …, month name, year) in the current locale.
import { useI18n } from 'vue-i18n'
import type { TimeRange } from '@/lib/dateGroups'

export function useRangeLabel() {
  const { t, locale } = useI18n()
  return (range: TimeRange): string => {
    switch (range.kind) {
      case 'month':
        return new Date(2000, range.month, 1).toLocaleString(locale.value, { month: 'long' })
      case 'year':
        return String(range.year)
      default:
        return t(`sidebar.${range.kind}`)
    }
  }
}
