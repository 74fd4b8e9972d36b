// The page's language from ?lang= (demos/language.py HEAD, run once the page is there): marks the page for the
// right-to-left rules and hands the language to `setLocale` (demos/gradio_seam.py locale_js), since Gradio's
// frontend chose its catalogue from navigator.language before this runs.
(setLocale) => {
  const lang = new URLSearchParams(window.location.search).get("lang");
  document.body.classList.toggle("gml-fa", lang === "fa");
  if (lang === "fa" || lang === "en") setLocale(lang);
}
