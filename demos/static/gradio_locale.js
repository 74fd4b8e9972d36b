// Switch Gradio's frontend to `lang`: demos/gradio_seam.py locale_js, its one user. Gradio documents no way to do
// this; its locale store is set by `changeLocale`, an export of its bundled core module (/assets/core-<hash>.js),
// found among the scripts the page loaded. tests/test_gradio_seam.py checks that the installed Gradio ships it.
(lang) => {
  const core = performance.getEntriesByType("resource").map((entry) => entry.name)
    .find((name) => /\/assets\/core-[\w-]+\.js$/.test(name));
  if (core) import(core).then((module) => module.changeLocale && module.changeLocale(lang));
}
