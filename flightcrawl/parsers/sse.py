"""Server-Sent Events framing (the subset travel sites use), tolerant of a cut-off tail."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Frame:
    id: str | None
    event: str | None
    data: str


def parse_frames(body: bytes) -> tuple[list[Frame], bool]:
    """(complete frames, whether the body ended inside a frame).

    A frame ends at a blank line. Bytes after the last blank line are an unfinished frame:
    a stream cut mid-frame, which sites' own clients tolerate, so it is reported, not raised.
    """
    text = body.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    blocks = text.split("\n\n")
    tail = blocks.pop()  # after the final blank line: empty if the stream ended cleanly
    frames = [frame for block in blocks if (frame := _frame(block)) is not None]
    return frames, bool(tail.strip())


def _frame(block: str) -> Frame | None:
    frame_id = event = None
    data: list[str] = []
    seen = False
    for line in block.split("\n"):
        if not line or line.startswith(":"):
            continue  # comments are keep-alives
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        seen = True
        if name == "id":
            frame_id = value
        elif name == "event":
            event = value
        elif name == "data":
            data.append(value)
    return Frame(frame_id, event, "\n".join(data)) if seen else None
