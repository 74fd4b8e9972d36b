// The live drag block's click event (demos/live_drag.py): no server function; its outputs, the tab's sliders and
// the boxes the final view filled, take the values live_drag.js left for this tab (VIEW is set by the Python side).
() => window.gmlDragSync[VIEW]
