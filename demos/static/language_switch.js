// The language switch (demos/language.py): reload the page with the new ?lang=, unless it is the page's already.
(lang) => {
  const params = new URLSearchParams(window.location.search);
  if (params.get("lang") === lang || (!params.get("lang") && lang === "en")) return;
  params.set("lang", lang);
  window.location.search = params.toString();
}
