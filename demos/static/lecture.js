// The lecture-mode checkbox (demos/classroom.py): projector styles on or off, and `lecture=1` kept in the address.
(on) => {
  document.body.classList.toggle("gml-lecture", Boolean(on));
  const params = new URLSearchParams(window.location.search);
  if (on) params.set("lecture", "1"); else params.delete("lecture");
  window.history.replaceState(null, "", window.location.pathname + (params.size ? "?" + params : ""));
}
