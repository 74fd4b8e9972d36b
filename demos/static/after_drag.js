// The `drawn` flag of a tab's control events (demos/live_drag.py): the event's last input, a hidden checkbox, says
// whether a live drag (live_drag.js) has just drawn the final view, in which case the server sends nothing again.
(...values) => {
  const drawn = window.gmlDrawnByDrag === true;
  window.gmlDrawnByDrag = false;
  return [...values.slice(0, -1), drawn];
}
