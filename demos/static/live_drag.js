// demos/live_drag.py's browser half: during a pointer drag of one of the tab's sliders, each step is computed and
// drawn by the page itself (live_math.js, live_views.js: no request); on release the server's final view is asked
// once and drawn, then Gradio hears the slider's final value. `config` is set by the Python side.
const panel = element.closest('[role="tabpanel"]') || document;
let dragging = null, pending = null, frame = 0, generation = 0;
const slider_ids = new Set(Object.values(config.sliders));

function control(id) { return document.getElementById(id); }
function slider_block(target) {  // the slider's own block (its elem_id), if the target is one of ours
  for (let node = target; node; node = node.parentElement) if (slider_ids.has(node.id)) return node;
  return null;
}
function read(moved) {  // a control that is not drawn (inside a hidden group) is left out: the view knows its default
  const values = {moved};
  const input = (id, selector) => control(id)?.querySelector(selector);
  for (const [name, id] of Object.entries(config.sliders)) { const e = input(id, 'input[type=range]'); if (e) values[name] = Number(e.value); }
  for (const [name, id] of Object.entries(config.numbers)) { const e = input(id, 'input'); if (e) values[name] = Number(e.value); }
  for (const [name, id] of Object.entries(config.texts)) { const e = input(id, 'input'); if (e) values[name] = e.value; }
  for (const [name, id] of Object.entries(config.checkboxes)) { const e = input(id, 'input[type=checkbox]'); if (e) values[name] = e.checked; }
  return values;
}
function draw(result) {
  if (!result || result.error) return;
  for (const [id, html] of Object.entries(result.html || {})) {
    const block = document.querySelector(`#${id} .prose`) || control(id);
    if (block) block.innerHTML = html;
  }
  for (const [id, rows] of Object.entries(result.cells || {})) {  // a table's numbers, its row names and headers kept
    const body = document.querySelector(`#${id} table tbody`);
    rows.forEach((cells, i) => cells.forEach((text, j) => {
      const cell = body?.rows[i]?.cells[j + 1];
      if (cell && cell.textContent !== text) cell.textContent = text;
    }));
  }
  for (const [id, html] of Object.entries(result.paragraphs || {})) {
    const paragraph = document.querySelector(`#${id} p`);
    if (paragraph) paragraph.innerHTML = html;
  }
  for (const [id, value] of Object.entries(result.values || {})) {  // a number box the step computes (N from log N)
    const box = control(id)?.querySelector('input');
    if (box) box.value = value;
  }
}
function step() {  // the newest values only, once per animation frame
  frame = 0;
  if (!pending) return;
  const values = pending;
  pending = null;
  try {
    draw(window.gmlLiveViews[config.view](config.live, values));  // null (e.g. a box out of range): nothing drawn
  } catch (error) {
    console.warn('live drag step failed', error);
  }
}
panel.addEventListener('pointerdown', (event) => {
  if (event.target.matches('input[type=range]') && slider_block(event.target)) dragging = event.target;
}, true);
panel.addEventListener('input', (event) => {
  if (!dragging || event.target !== dragging || !event.isTrusted) return;
  event.stopImmediatePropagation();  // Gradio hears the final value only, on pointer-up
  const block = slider_block(dragging);
  const box = block.querySelector('input[type=number]');
  if (box) box.value = dragging.value;
  const moved = Object.keys(config.sliders).find((name) => config.sliders[name] === block.id);
  pending = read(moved);
  if (!frame) frame = requestAnimationFrame(step);
}, true);
document.addEventListener('pointerup', async () => {
  if (!dragging) return;
  const slider = dragging, block = slider_block(slider);
  dragging = null; pending = null; generation += 1;
  if (frame) { cancelAnimationFrame(frame); frame = 0; }
  const mine = generation, moved = Object.keys(config.sliders).find((name) => config.sliders[name] === block.id);
  let result = null;
  try {
    // The server's final view: its own numbers (its seeded draws, quad's checks) replace the page's.
    result = await server.step({...read(moved), final: true});
    if (mine === generation) draw(result);
  } catch (error) {
    console.warn('live drag final view failed', error);
  }
  const drawn = Boolean(result && !result.error);
  if (drawn && !config.event_if_shown.some((id) => control(id)?.checkVisibility())) {
    // All is drawn: Gradio only learns the values the page shows, through the block's event (no request). A
    // slider that is not drawn (in a hidden group) gets undefined, which Gradio reads as "unchanged".
    const filled = result.values || {};
    const shown = (id) => control(id)?.querySelector('input[type=range]');
    window.gmlDragSync = {...window.gmlDragSync, [config.view]: config.synced.map((id) =>
      id in filled ? filled[id] : (shown(id) ? Number(shown(id).value) : undefined))};
    trigger('click');
    return;
  }
  // Refused (Gradio's toast shows the sentence) or a block the drag does not draw is shown: the slider's event,
  // which sends nothing the drag drew.
  window.gmlDrawnByDrag = drawn;
  slider.dispatchEvent(new Event('input', {bubbles: true}));
}, true);
