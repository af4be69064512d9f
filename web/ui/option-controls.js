// The controls of every option, built from the one schema (options.js, which build.py generates from
// py/diorama/options.py): a checkbox for a switch, a slider for a number, a list for a choice, in one
// section per stage (Depth, View, Motion). Each control's id is its option's name; next to it a slider or
// a switch shows its value (<output id="NAME-value">), a reset button (".reset", disabled at the default)
// puts the default back as if the person had chosen it, and the option's hint (id "NAME-hint") is the
// control's description for screen readers.
//
//   const options = buildOptionControls(form, before, places);  // inserted into form, before the node `before`;
//                                  // places: {name or stage: element} puts those controls into element
//                                  // instead, before its first button (else at its end)
//   options.values('depth')        // {invert, curve, contrast, smoothing}: current values by name
//   options.value('strength')      // one value
//   options.set('invert', true)     // set a control from code (not reported to onChange)
//   options.onChange(handler)      // handler(name, value, stage) after a change (sliders of the view and
//                                  // motion stages report while dragging; depth ones once released)
//
// Picking a choice that `sets` other options (a depth look sets its contrast) sets them first, then
// reports the choice alone.
import { OPTIONS } from '../options.js';

const STAGE_TITLES = { depth: 'Depth', view: 'View', motion: 'Motion' };

// A value in words: "On"/"Off", or a number with as many decimals as the slider's step has.
function shown(option, value) {
  if (typeof value === 'boolean') return value ? 'On' : 'Off';
  if (option.choices) return option.choices.find((c) => c.value === value)?.label ?? String(value);
  const decimals = (String(option.step).split('.')[1] ?? '').length;
  return Number(value).toFixed(decimals);
}

function element(tag, properties = {}, ...children) {
  const node = Object.assign(document.createElement(tag), properties);
  node.append(...children);
  return node;
}

// One option's row: label, control, value, reset, hint.
function control(option) {
  let input;
  if (option.choices) {
    input = element('select');
    for (const choice of option.choices) input.add(new Option(choice.label, choice.value, false, choice.value === option.default));
  } else if (typeof option.default === 'boolean') {
    input = element('input', { type: 'checkbox', checked: option.default });
  } else {
    input = element('input', { type: 'range', min: option.min, max: option.max, step: option.step, value: String(option.default) });
  }
  Object.assign(input, { id: option.name, name: option.name });
  input.setAttribute('aria-describedby', `${option.name}-hint`);
  const label = element('label', { htmlFor: option.name }, option.label);
  const output = option.choices ? null : element('output', { id: `${option.name}-value` });
  output?.setAttribute('for', option.name);
  output?.setAttribute('aria-live', 'off'); // the control itself tells its value; no announcement per step
  const reset = element('button', { type: 'button', className: 'reset', textContent: '↺',
    title: `Reset to ${shown(option, option.default)}` });
  reset.setAttribute('aria-label', `Reset ${option.label} to ${shown(option, option.default)}`);
  const hint = element('p', { id: `${option.name}-hint`, className: 'hint' }, option.hint);
  const row = element('div', { className: `option ${input.type === 'checkbox' ? 'switch' : input.tagName === 'SELECT' ? 'choice' : 'slider'}` });
  if (input.type === 'checkbox') row.append(input, label, ...(output ? [output] : []), reset, hint);
  else row.append(label, ...(output ? [output] : []), reset, input, hint);
  return { row, input, output, reset };
}

function read(option, input) {
  if (input.type === 'checkbox') return input.checked;
  if (input.type === 'range') return Number(input.value);
  return input.value;
}

export function buildOptionControls(form, before = null, places = {}) {
  const controls = new Map(); // name -> {input, output, reset}
  const sections = new Map(); // stage -> section element
  const listeners = [];
  const value = (name) => read(OPTIONS[name], controls.get(name).input);

  // The value shown and the reset's state follow the control.
  const sync = (name) => {
    const { output, reset } = controls.get(name);
    const current = value(name);
    if (output) output.textContent = shown(OPTIONS[name], current);
    reset.disabled = current === OPTIONS[name].default;
  };
  const put = (name, v) => {
    const { input } = controls.get(name);
    if (input.type === 'checkbox') input.checked = Boolean(v);
    else input.value = String(v);
    sync(name);
  };

  // the section of a stage, made when its first control goes into the form
  const sectionOf = (stage) => {
    if (!sections.has(stage)) {
      const title = element('h2', { id: `options-${stage}` }, STAGE_TITLES[stage] ?? stage);
      const section = element('section', { className: 'options' }, title);
      section.setAttribute('aria-labelledby', title.id);
      form.insertBefore(section, before);
      sections.set(stage, section);
    }
    return sections.get(stage);
  };

  for (const option of Object.values(OPTIONS)) {
    const { row, input, output, reset } = control(option);
    const place = places[option.name] ?? places[option.stage];
    if (place) place.insertBefore(row, place.querySelector(':scope > button'));
    else sectionOf(option.stage).append(row);
    controls.set(option.name, { input, output, reset });
    const report = () => {
      for (const [name, v] of Object.entries(option.choices?.find((c) => c.value === input.value)?.sets ?? {})) put(name, v);
      sync(option.name);
      for (const listener of listeners) listener(option.name, read(option, input), option.stage);
    };
    const live = input.type === 'range' && option.stage !== 'depth';
    input.addEventListener(live ? 'input' : 'change', report);
    if (!live && input.type === 'range') input.addEventListener('input', () => sync(option.name)); // the value while dragging
    reset.addEventListener('click', () => {
      put(option.name, option.default);
      report();
      input.focus(); // the reset disables itself: keep the keyboard where it was
    });
    sync(option.name);
  }
  return {
    value,
    set: put, // as if the person had set it, without reporting it (the caller acts on it)
    values: (stage) => Object.fromEntries(Object.values(OPTIONS).filter((o) => o.stage === stage).map((o) => [o.name, value(o.name)])),
    onChange: (listener) => listeners.push(listener),
  };
}
