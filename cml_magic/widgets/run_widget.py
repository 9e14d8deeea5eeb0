"""The live widget of one job run: status, stepper, times, environment, output tail, Stop."""

from __future__ import annotations

import time

import ipywidgets as w

from cml_magic.api.masking import mask_text
from cml_magic.api.run_objects import JobRun
from cml_magic.runlog import missing_hint
from cml_magic.widgets.controller import ClientOrController
from cml_magic.widgets.live import LiveWidget, reporting
from cml_magic.widgets.parts import CODE_BOX, MUTED, button, environment_line, esc, html_widget
from cml_magic.widgets.poller import Poller
from cml_magic.widgets.status import Activity, Phase

OUTPUT_LINES = 20  # lines of the log shown
OUTPUT_EVERY = 2.0  # least seconds between two downloads of one run's log while it goes on
OUTPUT_SHARE = 0.25  # most log downloads per second, as a share of the poller's look-up rate
TAIL_CHARS = 64_000  # only the end of a big log is split into lines


def output_every(watched: int, rate: float) -> float:
    """Seconds between two downloads of a running run's log, with `watched` items polled and
    `rate` requests per second under the poller's rate cap (`Poller.rate`).

    A log is fetched whole (CML's download has no range) and costs about what a look-up does,
    under the same cap: with many widgets open each one waits longer, so that together they
    download at most `OUTPUT_SHARE * rate` logs a second. A final run's log is always fetched.
    """
    return max(OUTPUT_EVERY, watched / (OUTPUT_SHARE * rate))


class RunWidget(LiveWidget[JobRun]):
    """A job run, updated live; `stop_button.click()` stops it."""

    def __init__(
        self,
        run: JobRun,
        cml: ClientOrController,
        poller: Poller | None = None,
        job_name: str | None = None,
    ) -> None:
        self.job_name = job_name
        self._output_at = time.monotonic()  # the first tail comes one period after opening
        self._output_final = False
        self._output_queued = False
        self.environment = html_widget(cls="cml-env")
        self.output = html_widget(cls="cml-output")
        # Red, not JupyterLab's orange "warning", whose white label is 2.7:1.
        self.stop_button = button(
            "Stop", "cml-stop", self._on_stop, button_style="danger", icon="stop"
        )
        super().__init__(run, cml, poller=poller)
        self.buttons.children = (self.stop_button,)

    @property
    def run(self) -> JobRun:
        """The JobRun as last seen: kept current while the widget is live."""
        return self.obj

    def _rows(self) -> tuple[w.Widget, ...]:
        return (
            self.header,
            self.stepper,
            self.times,
            self.environment,
            self.output,
            self.message,
            self.buttons,
        )

    def subtitle(self, obj: JobRun) -> str:
        if self.job_name is None:
            self.job_name = self.controller.job_name(obj)
        job = self.job_name
        return f" of job <b>{esc(str(job))}</b>" if job else ""

    def render_more(self, obj: JobRun, info: Phase) -> None:
        final = info.activity is Activity.FINAL
        self.environment.value = environment_line(obj.environment)
        self.stop_button.disabled = final or obj.status == "ENGINE_STOPPING"
        self.stop_button.layout.display = "none" if final else None  # nothing left to stop
        self._refresh_output(obj, final)

    def render_unchanged(self, obj: JobRun, info: Phase) -> None:
        # The environment and the Stop button stay as drawn; only the log goes on.
        self._refresh_output(obj, info.activity is Activity.FINAL)

    def _refresh_output(self, obj: JobRun, final: bool) -> None:
        """Fetch the log's tail while running (throttled) and once more when final.

        The download is left to the poller's thread, after the look-ups due: it takes from their
        rate cap, and a status change is shown without waiting for the log.
        """
        if self._output_final or obj.status in ("ENGINE_SCHEDULING", "ENGINE_STARTING"):
            return
        now = time.monotonic()
        every = output_every(self.poller.watched(), self.poller.rate)
        if not final and now - self._output_at < every:
            return
        self._output_at = now
        self._output_final = final
        if not self._output_queued:  # one queued download fetches the latest log
            self._output_queued = True
            self.poller.later(self._fetch_output)

    def _fetch_output(self) -> None:
        self._output_queued = False
        if self._closed:
            return
        try:
            text = self.controller.output(self.obj)
        except Exception:
            return  # the log is a nicety; the status still updates
        self.set_output(text)

    def set_output(self, text: str | None) -> None:
        """Show the last lines of the run's output, masked (keys, secret values)."""
        if text is None:
            hint = missing_hint(self.obj.id)
            self.output.value = f'<span style="color:{MUTED}">{esc(hint)}</span>'
            return
        lines = text[-TAIL_CHARS:].rstrip("\n").splitlines()[-OUTPUT_LINES:]
        tail = mask_text("\n".join(lines))
        if not tail.strip():  # said in words: an empty box read as a drawing fault
            said = "the run wrote no output" if self._output_final else "no output yet"
            self.output.value = f'<span style="color:{MUTED}">{said}</span>'
            return
        self.output.value = (
            '<pre class="cml-log" style="max-height:16em;overflow:auto;margin:2px 0;padding:4px;'
            f'{CODE_BOX};font-size:85%">{esc(tail)}</pre>'
        )

    @reporting
    def _on_stop(self, _button: object = None) -> None:
        self.stop_button.disabled = True
        self.say("stopping…")
        run = self.controller.stop(self.obj)
        self.render(run)
        self.say("stop requested")
        self.follow()
