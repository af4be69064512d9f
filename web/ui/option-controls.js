// The controls of every option, built from the one schema (options.js, which build.py generates from
// py/diorama/options.py): a checkbox for a switch, a slider for a number, a list for a choice. Each
// control's id is its option's name.
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

function control(option) {
  const label = document.createElement('label');
  let input;
  if (option.choices) {
    input = document.createElement('select');
    for (const choice of option.choices) input.add(new Option(choice.label, choice.value, false, choice.value === option.default));
  } else {
    input = document.createElement('input');
    if (typeof option.default === 'boolean') {
      input.type = 'checkbox';
      input.checked = option.default;
    } else {
      Object.assign(input, { type: 'range', min: option.min, max: option.max, step: option.step });
      input.value = String(option.default);
    }
  }
  input.id = option.name;
  input.name = option.name;
  if (input.type === 'checkbox') label.append(input, ` ${option.label}`);
  else label.append(`${option.label} `, input);
  return { label, input };
}

function read(option, input) {
  if (input.type === 'checkbox') return input.checked;
  if (input.type === 'range') return Number(input.value);
  return input.value;
}

export function buildOptionControls(form, before = null, places = {}) {
  const inputs = new Map();
  const listeners = [];
  for (const option of Object.values(OPTIONS)) {
    const { label, input } = control(option);
    const place = places[option.name] ?? places[option.stage];
    if (place) place.insertBefore(label, place.querySelector(':scope > button'));
    else form.insertBefore(label, before);
    inputs.set(option.name, input);
    const report = () => {
      for (const [name, value] of Object.entries(option.choices?.find((c) => c.value === input.value)?.sets ?? {})) {
        inputs.get(name).value = String(value);
      }
      for (const listener of listeners) listener(option.name, read(option, input), option.stage);
    };
    const live = input.type === 'range' && option.stage !== 'depth';
    input.addEventListener(live ? 'input' : 'change', report);
  }
  const value = (name) => read(OPTIONS[name], inputs.get(name));
  return {
    value,
    set: (name, v) => { // as if the person had set it, without reporting it (the caller acts on it)
      const input = inputs.get(name);
      if (input.type === 'checkbox') input.checked = Boolean(v);
      else input.value = String(v);
    },
    values: (stage) => Object.fromEntries(Object.values(OPTIONS).filter((o) => o.stage === stage).map((o) => [o.name, value(o.name)])),
    onChange: (listener) => listeners.push(listener),
  };
}
