"""A pen for the demo's subjects: shapes in a unit box (u left → right, v top → bottom),
coloured by role ("main" is the colour the prompt gives the subject) and lit by the scene."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PIL import ImageDraw

RGB = tuple[int, int, int]
RGBA = tuple[int, int, int, int]

ROLES: dict[str, RGBA] = {
    "black": (24, 24, 28, 255),
    "white": (244, 244, 240, 255),
    "snow": (246, 249, 253, 255),
    "glass": (150, 196, 228, 255),
    "tyre": (30, 30, 34, 255),
    "wood": (126, 84, 46, 255),
    "trunk": (96, 64, 38, 255),
    "stone": (150, 146, 138, 255),
    "rock": (104, 94, 84, 255),
    "roof": (150, 52, 42, 255),
    "skin": (232, 186, 150, 255),
    "grey": (120, 122, 128, 255),
    "silver": (200, 204, 210, 255),
    "orange": (240, 130, 30, 255),
    "yellow": (248, 210, 40, 255),
    "pink": (240, 140, 160, 255),
    "red": (210, 36, 36, 255),
    "sand": (226, 196, 140, 255),
    "water": (70, 150, 210, 255),
    "foam": (236, 246, 252, 255),
    "grass": (70, 150, 60, 255),
    "lava": (255, 110, 20, 255),
    "shadow": (0, 0, 0, 60),
    "beam": (255, 244, 190, 70),
}
# Colours that give light: not dimmed by dusk or night.
EMISSIVE = {
    "lamp": (255, 228, 140, 255),
    "moon": (240, 238, 220, 255),
    "crater": (205, 202, 188, 255),
    "flame": (255, 150, 40, 255),
    "lava": ROLES["lava"],
}
LEAVES = {"autumn": (214, 110, 30), "spring": (120, 190, 80), "winter": (226, 236, 244)}

Role = str | RGB


@dataclass
class Pen:
    draw: ImageDraw.ImageDraw
    box: tuple[float, float, float, float]  # x, y, width, height in pixels
    main: RGB
    light: tuple[float, float, float] = (1.0, 1.0, 1.0)
    flip: bool = False
    night: bool = False
    season: str = ""

    # ------------------------------------------------------------ colours

    def colour(self, role: Role) -> RGBA:
        if isinstance(role, tuple):
            rgba: RGBA = (*role, 255)
        elif role in EMISSIVE or (role == "window" and self.night):
            return EMISSIVE.get(role, EMISSIVE["lamp"])
        elif role == "main":
            rgba = (*self.main, 255)
        elif role == "dark":
            rgba = (*(round(c * 0.62) for c in self.main), 255)  # type: ignore[assignment]  # three channels
        elif role == "light":
            rgba = (*(round(c + (255 - c) * 0.45) for c in self.main), 255)  # type: ignore[assignment]  # three channels
        elif role == "stripe":
            bright = sum(self.main) > 560
            rgba = ROLES["red"] if bright else ROLES["white"]
        elif role == "leaf":
            rgba = (*LEAVES.get(self.season, (54, 134, 52)), 255)
        elif role == "window":
            rgba = ROLES["glass"]
        else:
            rgba = ROLES[role]
        r, g, b = (round(c * k) for c, k in zip(rgba[:3], self.light, strict=True))
        return (r, g, b, rgba[3])

    # ------------------------------------------------------------ geometry

    def pt(self, u: float, v: float) -> tuple[float, float]:
        x, y, w, h = self.box
        return (x + (1 - u if self.flip else u) * w, y + v * h)

    def _bbox(self, u0: float, v0: float, u1: float, v1: float) -> list[float]:
        (xa, ya), (xb, yb) = self.pt(u0, v0), self.pt(u1, v1)
        return [min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb)]

    def poly(self, role: Role, *uv: float) -> None:
        points = [self.pt(uv[i], uv[i + 1]) for i in range(0, len(uv) - 1, 2)]
        self.draw.polygon(points, fill=self.colour(role))

    def rect(self, role: Role, u0: float, v0: float, u1: float, v1: float) -> None:
        self.draw.rectangle(self._bbox(u0, v0, u1, v1), fill=self.colour(role))

    def ell(self, role: Role, u0: float, v0: float, u1: float, v1: float) -> None:
        self.draw.ellipse(self._bbox(u0, v0, u1, v1), fill=self.colour(role))

    def circ(self, role: Role, u: float, v: float, r: float) -> None:
        """A circle of radius r box-heights around (u, v)."""
        x, y = self.pt(u, v)
        rad = r * self.box[3]
        self.draw.ellipse([x - rad, y - rad, x + rad, y + rad], fill=self.colour(role))

    def ring(self, role: Role, u: float, v: float, r: float, width: float) -> None:
        x, y = self.pt(u, v)
        rad, px = r * self.box[3], max(1, round(width * self.box[3]))
        self.draw.ellipse([x - rad, y - rad, x + rad, y + rad], outline=self.colour(role), width=px)

    def arc(
        self,
        role: Role,
        box: tuple[float, float, float, float],
        start: float,
        end: float,
        width: float,
    ) -> None:
        px = max(1, round(width * self.box[3]))
        self.draw.arc(self._bbox(*box), start, end, fill=self.colour(role), width=px)

    def pieslice(
        self, role: Role, box: tuple[float, float, float, float], start: float, end: float
    ) -> None:
        self.draw.pieslice(self._bbox(*box), start, end, fill=self.colour(role))

    def line(self, role: Role, width: float, *uv: float) -> None:
        points = [self.pt(uv[i], uv[i + 1]) for i in range(0, len(uv) - 1, 2)]
        px = max(1, round(width * self.box[3]))
        self.draw.line(points, fill=self.colour(role), width=px, joint="curve")

    def band(self, role: Role, edges: Sequence[float], v0: float, v1: float) -> None:
        """A horizontal band of a trapezoid whose left edge runs from (edges[0], 0) to
        (edges[1], 1) and right edge from (edges[2], 0) to (edges[3], 1)."""
        lt, lb, rt, rb = edges

        def at(top: float, bottom: float, v: float) -> float:
            return top + (bottom - top) * v

        self.poly(
            role,
            at(lt, lb, v0), v0, at(rt, rb, v0), v0, at(rt, rb, v1), v1, at(lt, lb, v1), v1,
        )  # fmt: skip


@dataclass(frozen=True)
class Shape:
    draw: Callable[[Pen], None]
    aspect: float  # width / height of the unit box
    anchor: str  # "ground", "water", "sky" or "float" (a large thing on its own)
    colour: RGB  # the subject's own colour, when the prompt gives none
    height: float = 0.6  # the share of the frame's height it takes, room allowing
    place: str = ""  # the place it implies when the prompt names none
