import { describe, expect, it } from 'vitest'
import { detectLocale } from './index'
import en from './en'
import zhCN from './zh-CN'

describe('detectLocale', () => {
  it('prefers the stored choice, then the browser languages', () => {
    expect(detectLocale('en', ['zh-CN'])).toBe('en')
    expect(detectLocale(null, ['zh-TW', 'en'])).toBe('zh-CN')
    expect(detectLocale(null, ['fr-FR', 'en-US'])).toBe('en')
    expect(detectLocale('xx', [])).toBe('en')
  })
})

describe('messages', () => {
  const keys = (tree: object, prefix = ''): string[] =>
    Object.entries(tree).flatMap(([key, value]) =>
      typeof value === 'object' ? keys(value as object, `${prefix}${key}.`) : [`${prefix}${key}`],
    )

  it('简体中文 translates every English key', () => {
    expect(keys(zhCN).sort()).toEqual(keys(en).sort())
  })
})
