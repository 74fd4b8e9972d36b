// The Gradient estimators tab's figures (demos.estimators.update_view): draws the figures sent as JSON to a hidden
// text box on the charts Gradio drew at page load, with Plotly.react (which redraws only what changed) and the same
// config as Gradio's Plot.
(text) => {
  if (!text || !window.Plotly) return;
  const {answer, ...figures} = JSON.parse(text);  // (answer: a number that makes each answer unlike the last)
  for (const [name, figure] of Object.entries(figures)) {
    const chart = document.querySelector(`#estimators-${name} .js-plotly-plot`);
    if (!chart) continue;
    figure.layout.autosize = true;
    figure.layout.margin = {...figure.layout.margin, autoexpand: true};
    window.Plotly.react(chart, figure.data, figure.layout, {responsive: true});
  }
}
