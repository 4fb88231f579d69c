import type { Plugin } from 'esbuild';

/** templates/ at the repository root. */
export const DEFAULT_TEMPLATES_DIR: string;
/** functions/lib/templates.generated.ts */
export const GENERATED_MODULE: string;
/** ONBOARDING_TEMPLATES_DIR (resolved against the working directory) or templates/. */
export function templatesDir(env?: Record<string, string | undefined>): string;
/** File name -> template text of every template of the folder, seed layout files first. */
export function readTemplatesDir(dir: string): Record<string, string>;
/** Subfolder name -> its templates (the profiles' template sets). */
export function readTemplateSets(dir: string): Record<string, Record<string, string>>;
/** TypeScript source of functions/lib/templates.generated.ts for these templates (and template sets). */
export function templatesModuleSource(
  templates: Record<string, string>,
  sets?: Record<string, Record<string, string>>,
): string;
/** esbuild plugin building `./templates.generated` from the folder. */
export function templatesPlugin(dir?: string): Plugin;
/** Rewrites functions/lib/templates.generated.ts from the folder; returns its path. */
export function writeGeneratedModule(dir?: string): string;
