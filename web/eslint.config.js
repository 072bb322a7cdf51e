// ESLint flat config: Vue 3 recommended + typescript-eslint; Prettier owns layout
// (`npm run format`), so ESLint's own formatting rules are switched off by skip-formatting.
import pluginVue from 'eslint-plugin-vue'
import { defineConfigWithVueTs, vueTsConfigs } from '@vue/eslint-config-typescript'
import skipFormatting from '@vue/eslint-config-prettier/skip-formatting'

export default defineConfigWithVueTs(
  { ignores: ['dist/**', 'node_modules/**', 'artifacts/**'] },
  pluginVue.configs['flat/recommended'],
  vueTsConfigs.recommended,
  {
    rules: {
      // Answers are rendered markdown, sanitised by DOMPurify in src/lib/markdown.ts.
      'vue/no-v-html': 'off',
    },
  },
  skipFormatting,
)
