// "Copy link to this view" (demos/classroom.py copy_link_js): given the tab's name, its controls' query keys and the
// page-wide keys a link keeps (lang, lecture), the button's function, which gets the controls' current values.
(tab, keys, kept) => (...values) => {
  const params = new URLSearchParams({ tab });
  keys.forEach((key, i) => { if (values[i] !== null && values[i] !== undefined) params.set(key, values[i]); });
  const current = new URLSearchParams(window.location.search);
  for (const key of kept) if (current.get(key)) params.set(key, current.get(key));
  const url = window.location.origin + window.location.pathname + "?" + params.toString();
  window.history.replaceState(null, "", url);
  if (navigator.clipboard) navigator.clipboard.writeText(url).catch(() => {});
  return url;
}
