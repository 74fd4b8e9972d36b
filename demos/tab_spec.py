"""The tab contract: what a tab declares once, at the end of its own module, for the app and everything around it.

app.TABS lists the declarations and is the only list of tabs: the app lays each one out in that order, links open it
(`?tab=<name>` and its endpoints' parameter names), the language switch translates it, and the screenshots,
benchmarks, load test, hostile-input test and presets document read it. docs/adding_a_tab.md says how to add one.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from demos import BenchCase
from demos.language import LANGUAGES, catalogue_names, register_ui_strings, t


@dataclass(frozen=True)
class TabSpec:
    name: str  # its one name: the `?tab=` value, its catalogue, its docs page, the elem_id tab-<name>
    build: Callable[[], None]  # lays out its controls, plots and texts and wires their events, inside its gr.Tab
    endpoints: dict[str, tuple[str, ...]]  # its public API: api_name → parameter names, which are also its link keys
    bench_cases: tuple[BenchCase, ...]  # at least one valid call per endpoint: benchmarks, load and hostile tests
    presets: dict[str, dict] = field(default_factory=dict)  # named cases → parameter values: docs/presets.md links

    def __post_init__(self):
        """Its title joins the component catalogue (its texts were registered by its package: demos.register_texts)."""
        if self.name not in catalogue_names():
            raise ValueError(f"tab {self.name}: no catalogue {self.name}: its package registers its texts/ folder")
        register_ui_strings({lang: {f"tabs.{self.name}": self.title(lang)} for lang in LANGUAGES})
        missing = {case.api_name.lstrip("/") for case in self.bench_cases} ^ set(self.endpoints)
        if missing:
            raise ValueError(f"tab {self.name}: every endpoint needs a bench case and vice versa: {sorted(missing)}")

    def title(self, lang: str = "en") -> str:
        """Its title in the tab bar: `tab_title` of its strings.<lang>.json."""
        return t(f"{self.name}.tab_title", lang)
