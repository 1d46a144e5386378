"""A participant without a browser: one real Streamlit session over the websocket the browser uses.

The load generator (``dlviz.loadtest``) and the latency benchmarks drive the
dashboard with it. It speaks the frontend's protocol, reduced to what the
server needs:

1. Fetch the page over HTTP (a proxy's routing cookie is set there), then open
   ``ws://host/_stcore/stream`` with the ``streamlit`` subprotocol.
2. Nothing runs until the client sends ``BackMsg.rerun_script``: the URL path
   and query string of the page to open.
3. The server answers with ``ForwardMsg`` frames: ``navigation`` (the pages and
   their hashes), ``page_info_changed`` (the new query string), deltas (each
   element, with the widget ``id`` to send values back under and the fragment
   it belongs to) and ``script_finished``.
4. A widget change is another ``rerun_script`` carrying that widget's value,
   the current page's hash, the current query string, and the fragment id when
   the widget lives in an ``st.fragment``.
5. A fragment with ``run_every`` is rerun by the client: the server sends
   ``auto_rerun`` (its id and interval) and the browser asks for a rerun of it
   that often. ``Session.tick`` does the same while no other run is under way.

Like the browser, the client remembers large cacheable messages and
advertises their hashes, so the server sends unchanged elements as short
references: the bytes it sends are what a real participant would receive.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

# script_finished statuses that end an interaction (2, finished early for a rerun, does not: another run follows)
FINISHED = {
    ForwardMsg.FINISHED_SUCCESSFULLY,
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
}
WIDGET_TYPES = {
    "button", "checkbox", "multiselect", "number_input", "radio", "selectbox", "slider", "text_input",
    "text_area", "button_group", "bidi_component", "file_uploader", "data_editor", "color_picker",
}  # fmt: skip


class Lost(RuntimeError):
    """The server closed the session's websocket."""


@dataclass
class Widget:
    type: str  # the element's proto name: st.toggle and st.checkbox are both "checkbox"
    id: str
    label: str
    fragment_id: str
    proto: Any


@dataclass
class Run:
    """What one interaction brought back, with receive times (``time.perf_counter``)."""

    sent_at: float
    first_at: float | None = None
    last_delta_at: float | None = None
    finished_at: float | None = None
    messages: int = 0
    bytes: int = 0
    texts: list[tuple[float, str]] = field(default_factory=list)  # markdown bodies as they arrived
    exceptions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # st.error bodies
    alerts: list[str] = field(default_factory=list)  # every st.success / info / warning / error body
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def latency(self) -> float:
        """Seconds from sending the change to the answer's last element (or its end, if it had none)."""
        end = self.last_delta_at or self.finished_at
        return (end - self.sent_at) if end is not None else float("nan")

    def text(self) -> str:
        return "\n".join(body for _, body in self.texts)


class Session:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.ws = None
        self.cookie = ""
        self.upstream = ""  # which replica a proxy sent us to, when it says so (X-Upstream)
        self.query_string = ""
        self.page_script_hash = ""
        self.pages: dict[str, Any] = {}  # url path -> AppPage
        self.navigations: list[tuple[float, str]] = []  # (receive time, url path): each page the server showed
        self.widgets: dict[tuple[int, ...], Widget] = {}  # by delta path, on the current page
        self.cache: dict[str, ForwardMsg] = {}
        self.run: Run | None = None
        self.lost: str | None = None
        self.auto_reruns: dict[str, float] = {}  # fragment id -> seconds, as the server asked
        self.watchers: list[tuple[re.Pattern, asyncio.Future]] = []
        self.listeners: list = []  # called with (text, receive time) for every text that arrives
        self._reader: asyncio.Task | None = None
        self._ticker: asyncio.Task | None = None
        self._run_id, self._full_run = "", False  # the server's run under way: its id, whether it is whole-page
        self._drawn: set[tuple[int, ...]] = set()  # delta paths it has drawn so far

    # --- transport ---------------------------------------------------------------------------
    async def connect(self) -> None:
        await asyncio.to_thread(self._fetch_page)
        ws_url = self.base_url.replace("http", "ws", 1) + "/_stcore/stream"
        headers = {"Cookie": self.cookie} if self.cookie else {}
        self.ws = await connect(ws_url, subprotocols=["streamlit"], additional_headers=headers, max_size=None,
                                proxy=None, ping_interval=None, open_timeout=60)  # fmt: skip
        self.upstream = self.ws.response.headers.get("X-Upstream", self.upstream)
        self._reader = asyncio.create_task(self._read())

    def _fetch_page(self) -> None:
        """GET the page as a browser does first: a proxy in front may set its routing cookie here."""
        with urllib.request.urlopen(self.base_url + "/", timeout=60) as response:
            response.read()
            cookies = [c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or []]
            self.cookie = "; ".join(cookies)
            self.upstream = response.headers.get("X-Upstream", "")

    async def close(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                self._handle(msg, time.perf_counter(), len(raw))
        except ConnectionClosed as err:
            self.lost = f"websocket closed: {err}"
        else:
            self.lost = "websocket closed by the server"
        if self.run is not None:
            self.run.done.set()

    # --- messages ----------------------------------------------------------------------------
    def _handle(self, msg: ForwardMsg, now: float, size: int) -> None:
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":  # an element we have seen: rebuild it from the cache
            full = ForwardMsg()
            full.CopyFrom(self.cache[msg.ref_hash])
            full.metadata.CopyFrom(msg.metadata)
            msg, kind = full, full.WhichOneof("type")
        elif msg.metadata.cacheable and msg.hash:
            self.cache[msg.hash] = msg
        run = self.run
        if run is not None:
            run.messages += 1
            run.bytes += size
            run.first_at = run.first_at or now
        identity = msg.metadata.run if msg.metadata.HasField("run") else None
        if identity is not None and identity.script_run_id and identity.script_run_id != self._run_id:
            # A new run: a whole-page one (no fragment ids) may be the server's own (st.rerun), not ours
            self._run_id, self._full_run, self._drawn = identity.script_run_id, not identity.fragment_ids, set()
        if kind == "new_session" and self._full_run:  # a whole-page run (ours or st.rerun's): its fragments ask
            # for their timers again
            self.auto_reruns.clear()
        elif kind == "auto_rerun":
            self.auto_reruns[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            for fragment in msg.stop_auto_rerun.fragment_ids:
                self.auto_reruns.pop(fragment, None)
        elif kind == "navigation":
            self.pages = {p.url_pathname: p for p in msg.navigation.app_pages}
            if msg.navigation.page_script_hash != self.page_script_hash:
                self.widgets.clear()
            self.page_script_hash = msg.navigation.page_script_hash
            shown = next((p.url_pathname for p in msg.navigation.app_pages
                          if p.page_script_hash == self.page_script_hash), "")  # fmt: skip
            self.navigations.append((now, shown))
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "delta":
            self._delta(msg, now, run)
        elif kind == "script_finished" and msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY and self._full_run:
            # As the browser does after a whole-page run: what it did not draw again is gone (a part of the page
            # drawn as a fragment before and as a plain part now sits at other paths)
            self.widgets = {path: w for path, w in self.widgets.items() if path in self._drawn}
        if kind == "script_finished" and msg.script_finished in FINISHED and run is not None:
            run.finished_at = now
            run.done.set()

    def _delta(self, msg: ForwardMsg, now: float, run: Run | None) -> None:
        delta = msg.delta
        if run is not None:
            run.last_delta_at = now
        if delta.WhichOneof("type") == "add_block" and delta.add_block.tab_container.id:
            block = delta.add_block  # st.tabs with a key: a widget whose value is the open tab's label
            path = tuple(msg.metadata.delta_path)
            self._drawn.add(path)
            self.widgets[path] = Widget("tabs", block.tab_container.id, "", delta.fragment_id, block)
            return
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        path = tuple(msg.metadata.delta_path)
        self._drawn.add(path)
        proto = getattr(element, kind) if kind else None
        if kind in WIDGET_TYPES and getattr(proto, "id", ""):
            label = getattr(proto, "label", "") or getattr(proto, "component_name", "")
            # A widget's id is unique on a page: drawn at another path (a fragment drawn as a plain part of the
            # page while it trains), the old place is gone
            self.widgets = {p: w for p, w in self.widgets.items() if w.id != proto.id}
            self.widgets[path] = Widget(kind, proto.id, label, delta.fragment_id, proto)
        else:
            self.widgets.pop(path, None)
        if kind in ("markdown", "heading", "code"):
            self._notify(proto.code_text if kind == "code" else proto.body, now)
        if run is None:
            return
        if kind in ("markdown", "code"):
            run.texts.append((now, element.code.code_text if kind == "code" else element.markdown.body))
        elif kind == "exception":
            run.exceptions.append(f"{element.exception.type}: {element.exception.message}")
        elif kind == "alert":
            run.alerts.append(element.alert.body)
            if element.alert.format == element.alert.ERROR:
                run.errors.append(element.alert.body)

    def _notify(self, body: str, now: float) -> None:
        for listener in self.listeners:
            listener(body, now)
        keep = []
        for pattern, future in self.watchers:
            found = pattern.search(body)
            if found and not future.done():
                future.set_result((now, found))
            elif not future.done():
                keep.append((pattern, future))
        self.watchers = keep

    def watch(self, pattern: str) -> asyncio.Future:
        """A future that gets ``(receive time, match)`` when a text (markdown, caption, heading) matching
        ``pattern`` arrives."""
        future = asyncio.get_running_loop().create_future()
        self.watchers.append((re.compile(pattern), future))
        return future

    def listen(self, callback) -> None:
        """Call ``callback(text, receive time)`` for every text (markdown, caption, heading) from now on."""
        self.listeners.append(callback)

    def start_ticking(self) -> None:
        """Rerun the page's ``run_every`` fragments as a browser does, for as long as the session lasts."""
        if self._ticker is None:
            self._ticker = asyncio.create_task(self._tick())

    async def _tick(self) -> None:
        due: dict[str, float] = {}
        while not self.lost:
            await asyncio.sleep(0.05)
            now = time.perf_counter()
            busy = self.run is not None and not self.run.done.is_set()
            for fragment, interval in list(self.auto_reruns.items()):
                due.setdefault(fragment, now + interval)
                if now >= due[fragment] and not busy:
                    due[fragment] = now + interval
                    with contextlib.suppress(ConnectionClosed, Lost):
                        await self.send(fragment_id=fragment, auto=True)
                    busy = True
            for fragment in [f for f in due if f not in self.auto_reruns]:
                del due[fragment]

    # --- interactions ------------------------------------------------------------------------
    async def send(self, states: list[WidgetState] = (), *, page_script_hash: str | None = None,
                   page_name: str = "", fragment_id: str = "", auto: bool = False) -> Run:  # fmt: skip
        """Send one rerun request; the returned Run fills in as the answer arrives."""
        if self.lost:
            raise Lost(self.lost)
        back = BackMsg()
        client = back.rerun_script
        client.query_string = self.query_string
        client.page_script_hash = self.page_script_hash if page_script_hash is None else page_script_hash
        client.page_name = page_name
        client.fragment_id = fragment_id
        client.is_auto_rerun = auto
        client.widget_states.widgets.extend(states)
        client.cached_message_hashes.extend(self.cache)
        client.context_info.timezone = "UTC"
        client.context_info.locale = "en-US"
        if self.run is not None:
            self.run.done.set()  # the server stops a running script when a new request arrives
        self.run = Run(sent_at=time.perf_counter())
        await self.ws.send(back.SerializeToString())
        return self.run

    async def wait(self, run: Run, timeout: float = 120) -> Run:
        await asyncio.wait_for(run.done.wait(), timeout)
        if self.lost:
            raise Lost(self.lost)
        return run

    async def open(self, url_path: str = "", query: str = "", timeout: float = 120) -> Run:
        """Type http://host/<url_path>?<query> into the address bar."""
        self.query_string = query
        return await self.wait(await self.send(page_script_hash="", page_name=url_path), timeout)

    async def switch_page(self, url_path: str, timeout: float = 120) -> Run:
        """Click the page in the navigation."""
        self.query_string = ""
        return await self.wait(await self.send(page_script_hash=self.pages[url_path].page_script_hash), timeout)

    def find(self, label: str | None = None, type: str | None = None, key: str | None = None) -> Widget:
        """A widget on the current page, by label, element type or the end of its key."""
        for w in self.widgets.values():
            if (
                (label is None or w.label == label)
                and (type is None or w.type == type)
                and (key is None or w.id.endswith("-" + key))
            ):
                return w
        raise KeyError(f"no widget with label={label!r} type={type!r} key={key!r} on this page")

    async def set(self, widget: Widget, value: Any, *, wait: bool = True, timeout: float = 120) -> Run:
        run = await self.send([widget_state(widget, value)], fragment_id=widget.fragment_id)
        return await self.wait(run, timeout) if wait else run

    async def click(self, label: str, *, wait: bool = True, timeout: float = 120) -> Run:
        return await self.set(self.find(label, "button"), True, wait=wait, timeout=timeout)


def widget_state(widget: Widget, value: Any) -> WidgetState:
    """A value encoded the way the frontend sends it for this kind of widget."""
    state = WidgetState(id=widget.id)
    values = list(value) if isinstance(value, list | tuple) else [value]
    kind = widget.type
    if kind == "slider" and widget.proto.options:  # st.select_slider sends its options' labels
        state.string_array_value.data.extend(str(v) for v in values)
    elif kind == "slider":
        state.double_array_value.data.extend(float(v) for v in values)
    elif kind == "button":
        state.trigger_value = True
    elif kind == "checkbox":
        state.bool_value = bool(value)
    elif kind == "number_input":
        state.double_value = float(value)
    elif kind in ("selectbox", "radio", "text_input", "text_area", "color_picker", "tabs"):
        state.string_value = str(value)  # a selectbox sends the label it shows
    elif kind in ("multiselect", "button_group"):
        state.string_array_value.data.extend(str(v) for v in values)
    elif kind == "bidi_component":  # a v2 component sends its whole state object as JSON
        state.json_value = json.dumps(value)
    else:
        raise NotImplementedError(kind)
    return state
