// The export kinds' options, checked against their one declaration (py/diorama/export_kinds.py, in options.js as
// EXPORT_KINDS): the Export form's values and window.diorama.export's alike go through checkOptions before an
// exporter sees them, so an exporter gets every field of its kind, converted, in range, defaulted.
//
//   const checked = checkOptions('gif', { fps: '25' }, pageOption);   // {size: 480, fps: 25, preset: ..., ...}
//   fileName('sbs', checked);                                         // 'diorama_sbs_full_parallel.png'
import { EXPORT_KINDS } from '../options.js';

/** A format's file extension where it is not the format's name. */
const EXTENSIONS = { jpeg: 'jpg' };

function checkField(field, value) {
  if (field.choices) {
    const found = field.choices.find((c) => String(c.value) === String(value));
    if (!found) throw new TypeError(`${field.name} must be one of ${field.choices.map((c) => c.value).join(', ')}; got ${value}.`);
    return found.value;
  }
  const v = Number(value);
  if (value === null || value === '' || typeof value === 'boolean' || !Number.isFinite(v) || v < field.min || v > field.max) {
    throw new TypeError(`${field.name} must be a number from ${field.min} to ${field.max}; got ${value}.`);
  }
  return v;
}

/**
 * A kind's options, checked: every field of the kind, given (converted to its type), else the page's option it
 * follows (field.page), else its default. A field the kind does not take, or a value out of its range or choices,
 * is refused with a plain-words TypeError naming it.
 * @param {string} kind  a key of EXPORT_KINDS
 * @param {object} options  by field name; values may be strings (the form's)
 * @param {(name: string) => *} [pageOption]  the page's option values by name (options.py)
 * @returns {object}
 */
export function checkOptions(kind, options, pageOption = () => undefined) {
  const { fields } = EXPORT_KINDS[kind];
  const unknown = Object.keys(options).filter((name) => !(name in fields));
  if (unknown.length) {
    const takes = Object.keys(fields).length ? `it takes ${Object.keys(fields).join(', ')}` : 'it takes none';
    throw new TypeError(`${kind} takes no option ${unknown.join(', ')}; ${takes}.`);
  }
  return Object.fromEntries(Object.values(fields).map((field) => {
    const fromPage = field.page ? pageOption(field.page) : undefined;
    const value = options[field.name] ?? (fromPage === '' ? undefined : fromPage) ?? field.default;
    return [field.name, checkField(field, value)];
  }));
}

/** The name of a kind's file number `index` for checked options: its declared name with the fields filled in. */
export function fileName(kind, options, index = 0) {
  return EXPORT_KINDS[kind].files[index].replace(/\{(\w+)\}/g, (_, key) => (key === 'ext'
    ? EXTENSIONS[options.format] ?? options.format : options[key]));
}
