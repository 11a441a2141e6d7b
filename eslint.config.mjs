// ESLint for the TypeScript of every product. Type-aware where a rule needs types
// (floating promises are how a relayer silently loses work).
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "app/dist/",
      "app/node_modules/",
      "indexer/.ponder/",
      "indexer/generated/",
      "indexer/node_modules/",
      "sdk/typechain/",
      "sdk/cosmwasm/",
      "artifacts/",
      "cache/",
      "deployments/",
      ".devnet/",
      ".cache/",
      "contracts/",
      "dist/",
      "bench/results/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node, ...globals.mocha },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { arguments: false, attributes: false } }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      "@typescript-eslint/no-require-imports": "off",
    },
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
