// Groups conversations by how long ago they changed: Today, Yesterday, Previous 7/30 days, month, year.

export type TimeRange =
  | { kind: 'today' }
  | { kind: 'yesterday' }
  | { kind: 'previous7' }
  | { kind: 'previous30' }
  | { kind: 'month'; month: number } // 0-11, within the current year
  | { kind: 'year'; year: number }

export interface Group<T> {
  key: string
  range: TimeRange
  items: T[]
}

const startOfDay = (date: Date) => new Date(date.getFullYear(), date.getMonth(), date.getDate())
const DAY = 86_400_000

export function timeRange(date: Date, now: Date = new Date()): TimeRange {
  const days = Math.round((startOfDay(now).getTime() - startOfDay(date).getTime()) / DAY)
  if (days <= 0) return { kind: 'today' }
  if (days === 1) return { kind: 'yesterday' }
  if (days <= 7) return { kind: 'previous7' }
  if (days <= 30) return { kind: 'previous30' }
  if (date.getFullYear() === now.getFullYear()) return { kind: 'month', month: date.getMonth() }
  return { kind: 'year', year: date.getFullYear() }
}

export function rangeKey(range: TimeRange): string {
  if (range.kind === 'month') return `month-${range.month}`
  if (range.kind === 'year') return `year-${range.year}`
  return range.kind
}

/** Items must already be sorted newest first; groups keep that order. */
export function groupByTime<T>(
  items: T[],
  dateOf: (item: T) => string | Date,
  now: Date = new Date(),
): Group<T>[] {
  const groups: Group<T>[] = []
  for (const item of items) {
    const range = timeRange(new Date(dateOf(item)), now)
    const key = rangeKey(range)
    const last = groups[groups.length - 1]
    if (last && last.key === key) last.items.push(item)
    else groups.push({ key, range, items: [item] })
  }
  return groups
}

/** Open WebUI's compact age of a row: 1m, 5h, 3d, 2w, 1y (never less than a minute). */
export function relativeAge(date: Date, now: Date = new Date()): string {
  const minutes = Math.max(1, Math.floor((now.getTime() - date.getTime()) / 60_000))
  if (minutes < 60) return `${minutes}m`
  const hours = Math.floor(minutes / 60)
  if (hours < 24) return `${hours}h`
  const days = Math.floor(hours / 24)
  if (days < 7) return `${days}d`
  if (days < 365) return `${Math.floor(days / 7)}w`
  return `${Math.floor(days / 365)}y`
}
