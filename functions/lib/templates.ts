import { TemplateError } from './errors';
import { TEMPLATE_FILES, TEMPLATE_SETS } from './templates.generated';

/**
 * Template syntax for the Terraform files of an account folder, chosen so it never clashes with HCL's own
 * `${…}` interpolation and `%{…}` directives (both pass through untouched):
 *
 * - `{{ name }}` — the variable's value, escaped for an HCL double-quoted string. Always write it inside
 *   double quotes (`key = "{{ region }}"`): the escaping makes any value a plain literal there, nowhere else.
 * - `{{#name}}…{{/name}}` — the section is kept when the variable is set (true or a non-empty string).
 * - `{{^name}}…{{/name}}` — the section is kept when the variable is not set.
 *
 * A section tag alone on its line takes the whole line with it, so optional attributes leave no blank lines.
 */

export type TemplateValue = string | boolean;
export type TemplateVariables = Readonly<Record<string, TemplateValue>>;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const STANDALONE_SECTION_TAG = /^[ \t]*(\{\{[#^/][^{}]*\}\})[ \t]*\r?\n/gm;
const SECTION = /\{\{([#^])\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}([\s\S]*?)\{\{\/\s*\2\s*\}\}/g;
const TAG = /\{\{([^{}]*)\}\}/g;

/** Escapes a value for an HCL double-quoted string: the result is always a literal, never a template. */
export function escapeHclString(value: string): string {
  let out = '';
  for (const ch of value) {
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (!/\p{Cc}/u.test(ch)) out += ch;
  }
  // A function replacement: in a replacement string `$$` would collapse to a single `$`.
  return out.replace(/([$%])\{/g, (_match, sigil: string) => `${sigil}${sigil}{`);
}

function lookup(fileName: string, name: string, vars: TemplateVariables): TemplateValue {
  if (!NAME.test(name) || !Object.hasOwn(vars, name)) {
    const known = Object.keys(vars).sort().join(', ');
    throw new TemplateError(`Template ${fileName} refers to unknown variable "${name}"; known variables: ${known}`);
  }
  return vars[name] as TemplateValue;
}

const isSet = (value: TemplateValue): boolean => value === true || (typeof value === 'string' && value !== '');

/** Renders one template; an unknown variable or an unclosed section is a TemplateError naming the file. */
export function renderTemplate(fileName: string, template: string, vars: TemplateVariables): string {
  let text = template.replace(STANDALONE_SECTION_TAG, '$1');
  // Innermost sections first, until none is left, so sections may nest.
  for (let previous = ''; previous !== text; ) {
    previous = text;
    text = text.replace(SECTION, (_match, kind: string, name: string, body: string) =>
      isSet(lookup(fileName, name, vars)) === (kind === '#') ? body : '',
    );
  }
  return text.replace(TAG, (_match, inner: string) => {
    const name = inner.trim();
    if (/^[#^/]/.test(name)) {
      throw new TemplateError(
        `Template ${fileName} has an unmatched section tag {{${inner}}}; close it with {{/name}}`,
      );
    }
    return escapeHclString(String(lookup(fileName, name, vars)));
  });
}

/**
 * The default templates, one file each in the top-level templates/ folder (documented in templates/README.md).
 * The build embeds that folder, or the one named by ONBOARDING_TEMPLATES_DIR, in place of the generated module.
 */
export const DEFAULT_TEMPLATES: Readonly<Record<string, string>> = TEMPLATE_FILES;

/** The subfolders of templates/ the build embedded: the template sets profiles may name. */
export const TEMPLATE_SET_NAMES: readonly string[] = Object.keys(TEMPLATE_SETS).sort();

/**
 * The templates of an account folder for a profile's template set: the defaults, with the set's files in place of
 * (or added to) theirs. Without a set, the defaults. A set the build did not embed is a TemplateError.
 */
export function templatesFor(set?: string): Readonly<Record<string, string>> {
  if (set === undefined) return DEFAULT_TEMPLATES;
  const files = TEMPLATE_SETS[set];
  if (!files) {
    throw new TemplateError(
      `Templates folder "${set}" was not embedded in this build (embedded: ${TEMPLATE_SET_NAMES.join(', ') || 'none'}): add templates/${set}/ and deploy again`,
    );
  }
  return { ...DEFAULT_TEMPLATES, ...files };
}
