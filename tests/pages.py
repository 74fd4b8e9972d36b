"""What the language tests share: a stand-in for the gr.Request of a page, and the patterns they read text with."""

import re

PERSIAN = re.compile(r"[\u0600-\u06FF]")
NUMBER = re.compile(r"-?\d+(?:,\d{3})*(?:\.\d+)?")


class Page:
    """What Gradio passes as gr.Request for an event of a page at `url`."""

    def __init__(self, url: str):
        self.query_params = {}
        self.headers = {"referer": url}
