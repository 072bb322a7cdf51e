import { describe, expect, it } from 'vitest'
import { groupByTime, relativeAge, timeRange } from './dateGroups'

const now = new Date(2026, 10, 24, 10, 0) // 24 Nov 2026, 10:00 local
const at = (y: number, m: number, d: number, h = 12) => new Date(y, m, d, h)

describe('timeRange', () => {
  it.each([
    [at(2026, 10, 24, 0), 'today'],
    [at(2026, 10, 24, 23), 'today'],
    [at(2026, 10, 23, 23), 'yesterday'],
    [at(2026, 10, 23, 0), 'yesterday'],
    [at(2026, 10, 22), 'previous7'],
    [at(2026, 10, 17), 'previous7'],
    [at(2026, 10, 16), 'previous30'],
    [at(2026, 9, 25), 'previous30'],
    [at(2026, 9, 24, 1), 'month'],
    [at(2026, 0, 1), 'month'],
    [at(2025, 11, 31), 'year'],
  ])('%s is %s', (date, kind) => {
    expect(timeRange(date, now).kind).toBe(kind)
  })

  it('names the month and the year', () => {
    expect(timeRange(at(2026, 2, 5), now)).toEqual({ kind: 'month', month: 2 })
    expect(timeRange(at(2024, 5, 5), now)).toEqual({ kind: 'year', year: 2024 })
  })

  it('crosses a year boundary by calendar days', () => {
    expect(timeRange(at(2025, 11, 31, 23), at(2026, 0, 1, 1)).kind).toBe('yesterday')
  })
})

describe('groupByTime', () => {
  it('keeps order and merges consecutive items of one range', () => {
    const items = [
      { id: 'a', updated_at: at(2026, 10, 24).toISOString() },
      { id: 'b', updated_at: at(2026, 10, 24, 8).toISOString() },
      { id: 'c', updated_at: at(2026, 10, 23).toISOString() },
      { id: 'd', updated_at: at(2026, 10, 20).toISOString() },
      { id: 'e', updated_at: at(2026, 3, 2).toISOString() },
      { id: 'f', updated_at: at(2026, 3, 1).toISOString() },
      { id: 'g', updated_at: at(2023, 3, 1).toISOString() },
    ]
    const groups = groupByTime(items, (i) => i.updated_at, now)
    expect(groups.map((g) => [g.key, g.items.map((i) => i.id).join('')])).toEqual([
      ['today', 'ab'],
      ['yesterday', 'c'],
      ['previous7', 'd'],
      ['month-3', 'ef'],
      ['year-2023', 'g'],
    ])
  })
})

describe('relativeAge', () => {
  const now = new Date('2026-12-03T12:00:00Z')
  const ago = (ms: number) => relativeAge(new Date(now.getTime() - ms), now)
  it('shows the compact ages of the sidebar rows', () => {
    expect(ago(5_000)).toBe('1m')
    expect(ago(5 * 60_000)).toBe('5m')
    expect(ago(3 * 3_600_000)).toBe('3h')
    expect(ago(86_400_000)).toBe('1d')
    expect(ago(5 * 86_400_000)).toBe('5d')
    expect(ago(12 * 86_400_000)).toBe('1w')
    expect(ago(20 * 86_400_000)).toBe('2w')
    expect(ago(45 * 86_400_000)).toBe('6w')
    expect(ago(400 * 86_400_000)).toBe('1y')
  })
})
