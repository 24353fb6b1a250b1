"""Living things and landforms for the demo: animals, people, plants, mountains. Each draws in
its unit box with a few polygons (see pen.py for the roles)."""

from __future__ import annotations

from kontextlab.emulator.pen import Pen, Shape

LEAF = (54, 134, 52)  # a tree's own colour: its leaves follow the season


def _legs(p: Pen, role: str, us: tuple[float, ...], top: float, width: float) -> None:
    for u in us:
        p.rect(role, u, top, u + width, 1.0)


def cat(p: Pen) -> None:
    p.ell("shadow", 0.05, 0.93, 0.95, 1.03)
    p.line("main", 0.07, 0.72, 0.96, 0.95, 0.9, 1.0, 0.7, 0.92, 0.5)
    p.ell("main", 0.16, 0.38, 0.78, 1.0)
    p.ell("light", 0.32, 0.55, 0.62, 0.98)
    p.poly("main", 0.2, 0.26, 0.22, 0.0, 0.42, 0.14)
    p.poly("main", 0.74, 0.26, 0.72, 0.0, 0.52, 0.14)
    p.poly("pink", 0.25, 0.2, 0.25, 0.06, 0.36, 0.14)
    p.poly("pink", 0.69, 0.2, 0.69, 0.06, 0.58, 0.14)
    p.ell("main", 0.17, 0.08, 0.77, 0.5)
    for u in (0.36, 0.58):
        p.ell((190, 210, 60), u - 0.07, 0.22, u + 0.07, 0.32)
        p.ell("black", u - 0.02, 0.22, u + 0.02, 0.32)
    p.poly("pink", 0.44, 0.36, 0.5, 0.36, 0.47, 0.39)
    for dv in (-0.03, 0.02):
        p.line("white", 0.006, 0.4, 0.39, 0.14, 0.37 + dv)
        p.line("white", 0.006, 0.54, 0.39, 0.8, 0.37 + dv)


def dog(p: Pen) -> None:
    p.ell("shadow", 0.05, 0.93, 0.95, 1.03)
    p.line("main", 0.06, 0.2, 0.45, 0.08, 0.3, 0.04, 0.14)
    _legs(p, "dark", (0.24, 0.6), 0.6, 0.08)
    p.ell("main", 0.15, 0.32, 0.8, 0.7)
    _legs(p, "main", (0.3, 0.68), 0.6, 0.09)
    p.poly("main", 0.64, 0.4, 0.7, 0.2, 0.82, 0.22, 0.8, 0.5)
    p.ell("main", 0.66, 0.04, 0.92, 0.36)
    p.ell("main", 0.82, 0.18, 1.0, 0.34)
    p.ell("dark", 0.66, 0.06, 0.76, 0.38)
    p.circ("black", 0.98, 0.22, 0.04)
    p.circ("black", 0.84, 0.15, 0.03)


def fox(p: Pen) -> None:
    p.ell("shadow", 0.05, 0.93, 0.95, 1.03)
    p.poly("main", 0.25, 0.5, 0.02, 0.32, 0.0, 0.58, 0.1, 0.66)
    p.poly("white", 0.02, 0.32, 0.0, 0.44, 0.08, 0.4)
    _legs(p, "black", (0.26, 0.34, 0.62, 0.7), 0.62, 0.06)
    p.ell("main", 0.18, 0.36, 0.8, 0.7)
    p.poly("main", 0.66, 0.42, 0.72, 0.16, 0.86, 0.2, 0.82, 0.54)
    p.poly("main", 0.7, 0.28, 0.68, 0.0, 0.8, 0.16, 0.88, 0.02, 0.9, 0.22, 1.0, 0.34, 0.8, 0.4)
    p.poly("white", 0.78, 0.3, 1.0, 0.34, 0.86, 0.44, 0.7, 0.56, 0.7, 0.4)
    p.circ("black", 0.995, 0.34, 0.03)
    p.circ("black", 0.86, 0.24, 0.025)


def rabbit(p: Pen) -> None:
    p.ell("shadow", 0.05, 0.93, 0.95, 1.03)
    p.circ("white", 0.12, 0.78, 0.1)
    p.ell("main", 0.1, 0.45, 0.8, 1.0)
    p.ell("main", 0.48, 0.28, 0.9, 0.6)
    p.ell("main", 0.5, 0.0, 0.62, 0.38)
    p.ell("main", 0.64, -0.02, 0.76, 0.36)
    p.ell("pink", 0.53, 0.04, 0.59, 0.3)
    p.ell("pink", 0.67, 0.02, 0.73, 0.28)
    p.circ("black", 0.76, 0.4, 0.03)
    p.circ("pink", 0.89, 0.46, 0.02)


def bear(p: Pen) -> None:
    p.ell("shadow", 0.05, 0.93, 0.95, 1.03)
    _legs(p, "dark", (0.2, 0.62), 0.55, 0.12)
    p.ell("main", 0.08, 0.18, 0.84, 0.78)
    _legs(p, "main", (0.28, 0.7), 0.55, 0.13)
    p.circ("main", 0.82, 0.3, 0.2)
    p.circ("main", 0.72, 0.12, 0.07)
    p.ell("light", 0.88, 0.28, 1.0, 0.42)
    p.circ("black", 0.98, 0.32, 0.03)
    p.circ("black", 0.86, 0.25, 0.025)


def horse(p: Pen) -> None:
    p.ell("shadow", 0.05, 0.94, 0.95, 1.03)
    p.line("dark", 0.06, 0.16, 0.36, 0.06, 0.5, 0.06, 0.72)
    _legs(p, "dark", (0.2, 0.6), 0.5, 0.06)
    p.ell("main", 0.12, 0.28, 0.76, 0.6)
    _legs(p, "main", (0.27, 0.66), 0.5, 0.065)
    for u in (0.2, 0.27, 0.6, 0.66):
        p.rect("black", u, 0.95, u + 0.07, 1.0)
    p.poly("main", 0.6, 0.42, 0.72, 0.1, 0.84, 0.08, 0.78, 0.44)
    p.poly("main", 0.74, 0.04, 0.84, 0.02, 1.0, 0.24, 0.96, 0.3, 0.8, 0.2)
    p.poly("main", 0.76, 0.06, 0.78, -0.06, 0.82, 0.04)
    p.line("dark", 0.05, 0.62, 0.34, 0.72, 0.08)
    p.circ("black", 0.86, 0.1, 0.02)


def cow(p: Pen) -> None:
    p.ell("shadow", 0.05, 0.94, 0.95, 1.03)
    p.line("main", 0.02, 0.1, 0.35, 0.05, 0.7)
    _legs(p, "main", (0.16, 0.26, 0.62, 0.72), 0.55, 0.08)
    p.rect("main", 0.1, 0.25, 0.82, 0.66)
    p.ell("black", 0.24, 0.3, 0.44, 0.5)
    p.ell("black", 0.56, 0.42, 0.72, 0.62)
    p.ell("pink", 0.4, 0.6, 0.52, 0.72)
    p.ell("main", 0.76, 0.16, 0.98, 0.48)
    p.ell("pink", 0.84, 0.36, 1.0, 0.5)
    p.line("silver", 0.03, 0.8, 0.18, 0.76, 0.06)
    p.line("silver", 0.03, 0.94, 0.18, 0.98, 0.06)
    p.circ("black", 0.82, 0.28, 0.025)
    p.circ("black", 0.93, 0.28, 0.025)


def sheep(p: Pen) -> None:
    p.ell("shadow", 0.05, 0.94, 0.95, 1.03)
    _legs(p, "black", (0.22, 0.34, 0.6, 0.72), 0.6, 0.06)
    for u, v in ((0.25, 0.4), (0.45, 0.32), (0.65, 0.4), (0.3, 0.6), (0.55, 0.6), (0.72, 0.56)):
        p.circ("main", u, v, 0.2)
    p.ell("black", 0.74, 0.22, 0.96, 0.52)
    p.ell("black", 0.7, 0.26, 0.8, 0.34)
    p.circ("white", 0.88, 0.32, 0.025)


def elephant(p: Pen) -> None:
    p.ell("shadow", 0.05, 0.94, 0.95, 1.03)
    _legs(p, "dark", (0.18, 0.56), 0.55, 0.12)
    p.ell("main", 0.08, 0.1, 0.8, 0.7)
    _legs(p, "main", (0.26, 0.64), 0.55, 0.12)
    p.ell("main", 0.64, 0.04, 0.96, 0.5)
    p.line("main", 0.09, 0.9, 0.36, 0.94, 0.7, 0.88, 0.92, 0.8, 0.9)
    p.ell("dark", 0.56, 0.1, 0.78, 0.52)
    p.line("white", 0.03, 0.86, 0.42, 0.78, 0.56, 0.72, 0.58)
    p.circ("black", 0.84, 0.2, 0.025)


def giraffe(p: Pen) -> None:
    p.ell("shadow", 0.05, 0.95, 0.95, 1.03)
    _legs(p, "main", (0.18, 0.28, 0.56, 0.66), 0.55, 0.05)
    p.ell("main", 0.12, 0.42, 0.76, 0.66)
    p.poly("main", 0.56, 0.5, 0.72, 0.08, 0.8, 0.1, 0.74, 0.54)
    p.ell("main", 0.7, 0.02, 0.98, 0.14)
    p.line("wood", 0.015, 0.74, 0.04, 0.74, -0.03)
    p.line("wood", 0.015, 0.79, 0.04, 0.8, -0.03)
    for u, v in ((0.25, 0.5), (0.4, 0.48), (0.55, 0.52), (0.32, 0.58), (0.48, 0.6), (0.65, 0.4),
                 (0.7, 0.24), (0.66, 0.55), (0.2, 0.58)):  # fmt: skip
        p.circ("wood", u, v, 0.025)
    p.circ("black", 0.86, 0.06, 0.015)


def penguin(p: Pen) -> None:
    p.ell("shadow", 0.05, 0.94, 0.95, 1.03)
    p.ell("orange", 0.2, 0.92, 0.48, 1.0)
    p.ell("orange", 0.52, 0.92, 0.8, 1.0)
    p.ell("black", 0.1, 0.1, 0.9, 0.97)
    p.ell("white", 0.24, 0.3, 0.76, 0.94)
    p.ell("black", 0.0, 0.38, 0.2, 0.8)
    p.ell("black", 0.8, 0.38, 1.0, 0.8)
    for u in (0.38, 0.62):
        p.circ("white", u, 0.2, 0.035)
        p.circ("black", u, 0.2, 0.015)
    p.poly("orange", 0.42, 0.26, 0.58, 0.26, 0.5, 0.34)


def duck(p: Pen) -> None:
    p.ell("main", 0.05, 0.4, 0.8, 0.9)
    p.poly("main", 0.05, 0.6, 0.0, 0.4, 0.2, 0.5)
    p.ell("dark", 0.25, 0.48, 0.6, 0.72)
    p.ell("main", 0.55, 0.05, 0.88, 0.45)
    p.poly("orange", 0.84, 0.22, 1.0, 0.3, 0.84, 0.34)
    p.circ("black", 0.76, 0.18, 0.03)


def bird(p: Pen) -> None:
    p.poly("main", 0.0, 0.1, 0.3, 0.35, 0.5, 0.55, 0.7, 0.35, 1.0, 0.1, 0.72, 0.5, 0.5, 0.7,
           0.28, 0.5)  # fmt: skip
    p.ell("dark", 0.4, 0.45, 0.6, 0.75)
    p.circ("dark", 0.5, 0.44, 0.08)
    p.poly("orange", 0.46, 0.46, 0.54, 0.46, 0.5, 0.58)


def owl(p: Pen) -> None:
    p.rect("trunk", -0.2, 0.9, 1.2, 0.98)
    p.ell("main", 0.1, 0.2, 0.9, 0.96)
    p.ell("light", 0.28, 0.5, 0.72, 0.92)
    p.poly("main", 0.12, 0.3, 0.16, 0.02, 0.4, 0.22)
    p.poly("main", 0.88, 0.3, 0.84, 0.02, 0.6, 0.22)
    for u in (0.32, 0.68):
        p.circ("white", u, 0.36, 0.13)
        p.circ("yellow", u, 0.36, 0.08)
        p.circ("black", u, 0.36, 0.045)
    p.poly("orange", 0.45, 0.46, 0.55, 0.46, 0.5, 0.58)


def fish(p: Pen) -> None:
    p.poly("main", 0.2, 0.5, 0.0, 0.15, 0.0, 0.85)
    p.ell("main", 0.12, 0.15, 0.95, 0.85)
    p.poly("dark", 0.4, 0.2, 0.55, 0.0, 0.7, 0.2)
    p.line("dark", 0.03, 0.32, 0.25, 0.38, 0.5, 0.32, 0.75)
    p.circ("white", 0.8, 0.42, 0.08)
    p.circ("black", 0.81, 0.42, 0.04)


def whale(p: Pen) -> None:
    p.poly("main", 0.0, 0.55, 0.9, 0.55, 1.0, 0.75, 0.0, 0.75)
    p.ell("main", 0.15, 0.3, 1.0, 0.95)
    p.poly("main", 0.2, 0.6, 0.04, 0.44, 0.0, 0.2, 0.06, 0.3, 0.14, 0.3, 0.1, 0.44)
    p.ell("light", 0.4, 0.7, 0.95, 0.9)
    p.circ("black", 0.82, 0.58, 0.025)
    for du in (-0.04, 0.0, 0.04):
        p.line("foam", 0.015, 0.72, 0.3, 0.72 + du, 0.05)


def butterfly(p: Pen) -> None:
    p.ell("main", 0.02, 0.0, 0.5, 0.55)
    p.ell("main", 0.5, 0.0, 0.98, 0.55)
    p.ell("dark", 0.1, 0.48, 0.5, 0.95)
    p.ell("dark", 0.5, 0.48, 0.9, 0.95)
    for u in (0.22, 0.78):
        p.circ("white", u, 0.25, 0.06)
    p.ell("black", 0.46, 0.1, 0.54, 0.9)
    p.line("black", 0.012, 0.48, 0.12, 0.4, -0.05)
    p.line("black", 0.012, 0.52, 0.12, 0.6, -0.05)


def dragon(p: Pen) -> None:
    p.poly("dark", 0.35, 0.45, 0.3, 0.0, 0.42, 0.18, 0.5, 0.04, 0.56, 0.24, 0.66, 0.1, 0.62, 0.45)
    p.line("main", 0.07, 0.3, 0.55, 0.15, 0.62, 0.05, 0.5, 0.0, 0.62)
    p.poly("main", 0.0, 0.62, -0.04, 0.54, 0.04, 0.56)
    p.ell("main", 0.25, 0.42, 0.72, 0.7)
    p.line("main", 0.08, 0.66, 0.5, 0.8, 0.36, 0.86, 0.3)
    p.poly("main", 0.8, 0.24, 0.98, 0.3, 1.0, 0.38, 0.84, 0.4)
    p.poly("dark", 0.82, 0.24, 0.8, 0.12, 0.86, 0.22)
    p.circ("yellow", 0.88, 0.28, 0.02)
    p.poly("flame", 0.99, 0.34, 1.2, 0.28, 1.24, 0.42)
    for u in (0.35, 0.6):
        p.line("dark", 0.04, u, 0.66, u, 0.82)
    p.poly("light", 0.38, 0.45, 0.4, 0.1, 0.6, 0.45)


def person(p: Pen) -> None:
    p.ell("shadow", 0.0, 0.95, 1.0, 1.03)
    p.poly("black", 0.3, 0.55, 0.48, 0.55, 0.46, 1.0, 0.32, 1.0)
    p.poly("black", 0.52, 0.55, 0.7, 0.55, 0.68, 1.0, 0.54, 1.0)
    p.line("main", 0.05, 0.26, 0.26, 0.14, 0.5, 0.16, 0.6)
    p.line("main", 0.05, 0.74, 0.26, 0.86, 0.5, 0.84, 0.6)
    p.poly("main", 0.24, 0.24, 0.76, 0.24, 0.72, 0.6, 0.28, 0.6)
    p.circ("skin", 0.15, 0.61, 0.035)
    p.circ("skin", 0.85, 0.61, 0.035)
    p.circ("skin", 0.5, 0.13, 0.1)
    p.ell("wood", 0.37, 0.02, 0.63, 0.12)


def robot(p: Pen) -> None:
    p.ell("shadow", 0.0, 0.95, 1.0, 1.03)
    p.rect("dark", 0.3, 0.7, 0.44, 1.0)
    p.rect("dark", 0.56, 0.7, 0.7, 1.0)
    p.rect("dark", 0.04, 0.36, 0.14, 0.66)
    p.rect("dark", 0.86, 0.36, 0.96, 0.66)
    p.rect("main", 0.18, 0.32, 0.82, 0.74)
    p.rect("light", 0.32, 0.42, 0.68, 0.62)
    for i, role in enumerate(("red", "yellow", "lamp")):
        p.circ(role, 0.4 + i * 0.1, 0.52, 0.025)
    p.rect("main", 0.3, 0.06, 0.7, 0.3)
    p.line("dark", 0.015, 0.5, 0.06, 0.5, -0.02)
    p.circ("red", 0.5, -0.02, 0.025)
    for u in (0.41, 0.59):
        p.circ("lamp", u, 0.16, 0.04)
    p.rect("dark", 0.4, 0.23, 0.6, 0.26)


def snowman(p: Pen) -> None:
    p.ell("shadow", 0.0, 0.95, 1.0, 1.04)
    p.circ("snow", 0.5, 0.75, 0.25)
    p.circ("snow", 0.5, 0.4, 0.17)
    p.circ("snow", 0.5, 0.17, 0.12)
    p.rect("black", 0.32, 0.02, 0.68, 0.06)
    p.rect("black", 0.38, -0.14, 0.62, 0.04)
    p.rect("main", 0.3, 0.26, 0.7, 0.31)
    p.rect("main", 0.56, 0.28, 0.64, 0.42)
    p.poly("orange", 0.5, 0.17, 0.5, 0.21, 0.66, 0.19)
    for u in (0.45, 0.55):
        p.circ("black", u, 0.14, 0.015)
    for v in (0.38, 0.46, 0.66):
        p.circ("black", 0.5, v, 0.015)
    p.line("trunk", 0.015, 0.34, 0.4, 0.1, 0.28)
    p.line("trunk", 0.015, 0.66, 0.4, 0.9, 0.28)


def tree(p: Pen) -> None:
    p.ell("shadow", 0.1, 0.95, 0.9, 1.03)
    p.poly("trunk", 0.44, 1.0, 0.46, 0.5, 0.54, 0.5, 0.56, 1.0)
    p.line("trunk", 0.03, 0.5, 0.6, 0.34, 0.42)
    leaf = "leaf" if p.main == LEAF else "main"
    for u, v, r in ((0.5, 0.28, 0.26), (0.28, 0.42, 0.2), (0.72, 0.42, 0.2), (0.5, 0.5, 0.18)):
        p.circ(leaf, u, v, r)


def palm(p: Pen) -> None:
    leaf = "leaf" if p.main == LEAF else "main"
    p.line("trunk", 0.06, 0.42, 1.0, 0.46, 0.6, 0.56, 0.22)
    for tip in ((0.04, 0.38), (0.2, 0.12), (0.92, 0.1), (1.0, 0.42), (0.56, -0.04), (0.3, 0.45)):
        p.poly(leaf, 0.56, 0.2, tip[0], tip[1], (0.56 + tip[0]) / 2, (0.2 + tip[1]) / 2 - 0.06)
    for u in (0.52, 0.6):
        p.circ("wood", u, 0.25, 0.03)


def cactus(p: Pen) -> None:
    p.ell("shadow", 0.1, 0.96, 0.9, 1.03)
    p.line("main", 0.16, 0.5, 1.0, 0.5, 0.08)
    p.line("main", 0.12, 0.45, 0.6, 0.2, 0.6, 0.2, 0.3)
    p.line("main", 0.12, 0.55, 0.48, 0.8, 0.48, 0.8, 0.2)
    for u in (0.5, 0.2, 0.8):
        p.circ("main", u, 0.1 if u == 0.5 else (0.3 if u < 0.5 else 0.2), 0.06)
    p.line("dark", 0.012, 0.48, 0.12, 0.48, 0.95)


def flower(p: Pen) -> None:
    p.line("grass", 0.03, 0.5, 1.0, 0.5, 0.35)
    p.ell("grass", 0.5, 0.6, 0.8, 0.72)
    p.ell("grass", 0.2, 0.7, 0.5, 0.82)
    for k in range(8):
        dx, dy = [(1, 0), (0.7, 0.7), (0, 1), (-0.7, 0.7), (-1, 0), (-0.7, -0.7), (0, -1),
                  (0.7, -0.7)][k]  # fmt: skip
        p.circ("main", 0.5 + dx * 0.16, 0.28 + dy * 0.16, 0.11)
    p.circ("yellow" if p.main[0] + p.main[1] < 420 else "wood", 0.5, 0.28, 0.1)


def mushroom(p: Pen) -> None:
    p.poly("white", 0.38, 1.0, 0.4, 0.45, 0.6, 0.45, 0.62, 1.0)
    p.pieslice("main", (0.0, 0.05, 1.0, 0.95), 180, 360)
    for u, v in ((0.3, 0.25), (0.55, 0.15), (0.75, 0.32), (0.45, 0.38), (0.15, 0.4)):
        p.circ("white", u, v, 0.05)


def apple(p: Pen) -> None:
    p.ell("shadow", 0.1, 0.9, 0.9, 1.0)
    p.ell("main", 0.05, 0.15, 0.58, 0.98)
    p.ell("main", 0.42, 0.15, 0.95, 0.98)
    p.ell("light", 0.2, 0.3, 0.32, 0.45)
    p.line("trunk", 0.04, 0.5, 0.22, 0.54, 0.0)
    p.ell("grass", 0.55, 0.0, 0.82, 0.12)


def pumpkin(p: Pen) -> None:
    p.ell("shadow", 0.05, 0.9, 0.95, 1.02)
    for u0, u1 in ((0.0, 0.5), (0.5, 1.0), (0.15, 0.65), (0.35, 0.85)):
        p.ell("dark" if u0 in (0.0, 0.5) else "main", u0, 0.15, u1, 0.98)
    p.ell("main", 0.3, 0.15, 0.7, 0.98)
    p.line("grass", 0.08, 0.5, 0.2, 0.54, 0.02)


def mountain(p: Pen) -> None:
    p.poly("main", -0.05, 1.0, 0.5, 0.0, 1.05, 1.0)
    p.poly("dark", 0.5, 0.0, 1.05, 1.0, 0.6, 1.0, 0.56, 0.5)
    p.poly("snow", 0.5, 0.0, 0.36, 0.26, 0.44, 0.22, 0.5, 0.3, 0.58, 0.22, 0.65, 0.27)


def volcano(p: Pen) -> None:
    p.circ((120, 120, 120), 0.5, -0.2, 0.14)
    p.circ((150, 150, 150), 0.58, -0.36, 0.18)
    p.poly("main", 0.0, 1.0, 0.38, 0.1, 0.62, 0.1, 1.0, 1.0)
    p.poly("lava", 0.4, 0.1, 0.6, 0.1, 0.56, 0.2, 0.52, 0.5, 0.47, 0.32, 0.42, 0.2)
    p.poly("lava", 0.56, 0.2, 0.7, 0.6, 0.64, 0.62, 0.54, 0.3)
    p.poly("dark", 0.55, 0.1, 0.62, 0.1, 1.0, 1.0, 0.8, 1.0)


def island(p: Pen) -> None:
    p.ell("sand", 0.0, 0.7, 1.0, 1.1)
    p.ell("grass", 0.25, 0.72, 0.75, 0.95)
    p.line("trunk", 0.04, 0.5, 0.85, 0.52, 0.5, 0.58, 0.3)
    for tip in ((0.3, 0.44), (0.4, 0.18), (0.8, 0.2), (0.84, 0.46)):
        p.poly("leaf", 0.58, 0.3, tip[0], tip[1], (0.58 + tip[0]) / 2, 0.24)


def waterfall(p: Pen) -> None:
    p.poly("rock", 0.0, 1.0, 0.0, 0.05, 0.3, 0.0, 0.38, 0.2, 0.38, 1.0)
    p.poly("rock", 0.62, 1.0, 0.62, 0.15, 0.72, 0.0, 1.0, 0.08, 1.0, 1.0)
    p.rect("main", 0.36, 0.05, 0.64, 0.92)
    for u in (0.4, 0.46, 0.52, 0.58):
        p.line("foam", 0.012, u, 0.1, u + 0.01, 0.88)
    p.ell("foam", 0.24, 0.84, 0.76, 1.0)


ALIVE: dict[str, Shape] = {
    "cat": Shape(cat, 0.85, "ground", (226, 136, 56), 0.5),
    "dog": Shape(dog, 1.3, "ground", (156, 104, 58), 0.46),
    "fox": Shape(fox, 1.5, "ground", (226, 112, 30), 0.42, "forest"),
    "rabbit": Shape(rabbit, 1.0, "ground", (190, 160, 130), 0.36),
    "bear": Shape(bear, 1.4, "ground", (100, 64, 36), 0.5, "forest"),
    "horse": Shape(horse, 1.2, "ground", (120, 74, 42), 0.58),
    "cow": Shape(cow, 1.5, "ground", (244, 244, 240), 0.46),
    "sheep": Shape(sheep, 1.3, "ground", (244, 242, 232), 0.42),
    "elephant": Shape(elephant, 1.25, "ground", (150, 150, 156), 0.6),
    "giraffe": Shape(giraffe, 0.8, "ground", (232, 180, 70), 0.78),
    "penguin": Shape(penguin, 0.6, "ground", (24, 24, 28), 0.52),
    "duck": Shape(duck, 1.2, "water", (248, 214, 40), 0.32, "sea"),
    "bird": Shape(bird, 1.8, "sky", (60, 60, 70), 0.26),
    "owl": Shape(owl, 0.8, "ground", (150, 104, 60), 0.55, "forest"),
    "fish": Shape(fish, 1.7, "water", (250, 140, 30), 0.34, "sea"),
    "whale": Shape(whale, 2.2, "water", (112, 140, 186), 0.46, "sea"),
    "butterfly": Shape(butterfly, 1.3, "sky", (240, 140, 30), 0.4),
    "dragon": Shape(dragon, 1.5, "sky", (46, 150, 70), 0.55),
    "person": Shape(person, 0.42, "ground", (40, 110, 200), 0.6),
    "robot": Shape(robot, 0.7, "ground", (186, 192, 202), 0.6),
    "snowman": Shape(snowman, 0.7, "ground", (210, 36, 36), 0.6),
    "tree": Shape(tree, 0.85, "ground", LEAF, 0.72),
    "palm": Shape(palm, 0.8, "ground", LEAF, 0.72, "beach"),
    "cactus": Shape(cactus, 0.7, "ground", (60, 140, 70), 0.62, "desert"),
    "flower": Shape(flower, 0.7, "ground", (226, 50, 90), 0.55),
    "mushroom": Shape(mushroom, 1.0, "ground", (210, 36, 36), 0.45, "forest"),
    "apple": Shape(apple, 1.0, "ground", (206, 30, 36), 0.45),
    "pumpkin": Shape(pumpkin, 1.3, "ground", (236, 120, 24), 0.42),
    "mountain": Shape(mountain, 1.6, "float", (110, 116, 130), 0.7),
    "volcano": Shape(volcano, 1.5, "float", (90, 70, 62), 0.6),
    "island": Shape(island, 1.8, "water", (54, 134, 52), 0.5, "sea"),
    "waterfall": Shape(waterfall, 0.9, "float", (150, 200, 240), 0.75, "forest"),
}
