"""Made things for the demo: buildings, vehicles, objects. Each draws in its unit box with
a few polygons, so it reads at a glance (see pen.py for the roles)."""

from __future__ import annotations

from kontextlab.emulator.pen import Pen, Shape


def lighthouse(p: Pen) -> None:
    edges = (0.34, 0.2, 0.66, 0.8)
    p.poly("shadow", 0.1, 0.99, 0.9, 0.99, 0.8, 1.02, 0.2, 1.02)
    p.band("main", edges, 0.22, 1.0)
    for v in (0.32, 0.56, 0.8):
        p.band("stripe", edges, v, v + 0.11)
    p.rect("black", 0.24, 0.19, 0.76, 0.235)
    p.rect("lamp", 0.36, 0.09, 0.64, 0.19)
    p.line("black", 0.008, 0.5, 0.09, 0.5, 0.19)
    p.poly("black", 0.3, 0.1, 0.5, 0.0, 0.7, 0.1)
    p.rect("black", 0.45, 0.89, 0.55, 1.0)
    if p.night or p.light[0] < 0.9:
        p.poly("beam", 0.64, 0.12, 2.4, -0.05, 2.4, 0.3, 0.64, 0.17)


def car(p: Pen) -> None:
    p.ell("shadow", 0.0, 0.86, 1.0, 1.0)
    p.poly(
        "main",
        0.01, 0.8, 0.01, 0.55, 0.1, 0.46, 0.33, 0.4, 0.45, 0.17, 0.7, 0.16, 0.84, 0.38,
        0.97, 0.45, 1.0, 0.6, 0.99, 0.8,
    )  # fmt: skip
    p.poly("glass", 0.47, 0.22, 0.6, 0.21, 0.6, 0.39, 0.38, 0.4)
    p.poly("glass", 0.63, 0.21, 0.69, 0.21, 0.79, 0.38, 0.63, 0.39)
    p.line("dark", 0.02, 0.05, 0.62, 0.95, 0.6)
    p.line("dark", 0.015, 0.61, 0.42, 0.61, 0.75)
    for u in (0.2, 0.8):
        p.circ("dark", u, 0.76, 0.25)
        p.circ("tyre", u, 0.8, 0.2)
        p.circ("silver", u, 0.8, 0.1)
    p.ell("lamp", 0.93, 0.5, 0.995, 0.58)
    p.ell("red", 0.005, 0.52, 0.04, 0.6)


def truck(p: Pen) -> None:
    p.ell("shadow", 0.0, 0.88, 1.0, 1.0)
    p.rect("silver", 0.02, 0.08, 0.64, 0.78)
    p.poly("main", 0.66, 0.78, 0.66, 0.25, 0.86, 0.25, 0.98, 0.5, 0.99, 0.78)
    p.poly("glass", 0.72, 0.3, 0.85, 0.3, 0.94, 0.5, 0.72, 0.5)
    for u in (0.15, 0.5, 0.85):
        p.circ("tyre", u, 0.82, 0.16)
        p.circ("silver", u, 0.82, 0.07)
    p.rect("lamp", 0.96, 0.6, 0.995, 0.68)


def bus(p: Pen) -> None:
    p.ell("shadow", 0.0, 0.88, 1.0, 1.0)
    p.rect("main", 0.01, 0.08, 0.99, 0.82)
    for i in range(6):
        u = 0.05 + i * 0.14
        p.rect("window", u, 0.18, u + 0.11, 0.45)
    p.rect("glass", 0.89, 0.18, 0.97, 0.45)
    p.rect("dark", 0.01, 0.58, 0.99, 0.63)
    for u in (0.2, 0.78):
        p.circ("tyre", u, 0.82, 0.17)
        p.circ("silver", u, 0.82, 0.07)


def train(p: Pen) -> None:
    p.rect("black", 0.0, 0.9, 1.0, 0.94)
    p.rect("main", 0.05, 0.35, 0.5, 0.78)  # boiler
    p.rect("main", 0.46, 0.1, 0.7, 0.78)  # cab
    p.rect("dark", 0.42, 0.05, 0.74, 0.12)
    p.rect("window", 0.52, 0.2, 0.64, 0.4)
    p.rect("black", 0.12, 0.1, 0.2, 0.36)  # chimney
    p.poly("silver", 0.05, 0.78, 0.0, 0.9, 0.1, 0.9, 0.1, 0.78)
    p.rect("dark", 0.72, 0.3, 1.0, 0.78)  # tender / carriage
    for u in (0.17, 0.35, 0.58, 0.82, 0.94):
        p.circ("tyre", u, 0.83, 0.1)
    p.circ("lamp", 0.05, 0.45, 0.05)
    p.circ((235, 235, 235), 0.18, 0.0, 0.08)
    p.circ((225, 225, 225), 0.28, -0.08, 0.1)


def plane(p: Pen) -> None:
    p.poly("main", 0.02, 0.5, 0.1, 0.38, 0.85, 0.36, 0.98, 0.45, 0.88, 0.58, 0.1, 0.6)
    p.poly("dark", 0.06, 0.4, 0.0, 0.05, 0.1, 0.05, 0.22, 0.4)
    p.poly("dark", 0.35, 0.5, 0.62, 0.5, 0.4, 0.98, 0.3, 0.98)
    p.poly("light", 0.4, 0.42, 0.55, 0.42, 0.45, 0.1, 0.38, 0.1)
    for i in range(9):
        p.circ("window", 0.25 + i * 0.06, 0.44, 0.025)
    p.poly("glass", 0.88, 0.4, 0.95, 0.42, 0.93, 0.46, 0.87, 0.45)


def rocket(p: Pen) -> None:
    p.poly("flame", 0.36, 0.86, 0.5, 1.0, 0.64, 0.86)
    p.poly("yellow", 0.42, 0.86, 0.5, 0.96, 0.58, 0.86)
    p.poly("main", 0.3, 0.85, 0.3, 0.3, 0.5, 0.0, 0.7, 0.3, 0.7, 0.85)
    p.poly("dark", 0.3, 0.55, 0.1, 0.86, 0.3, 0.8)
    p.poly("dark", 0.7, 0.55, 0.9, 0.86, 0.7, 0.8)
    p.poly("dark", 0.3, 0.3, 0.5, 0.0, 0.7, 0.3, 0.5, 0.22)
    p.circ("silver", 0.5, 0.42, 0.085)
    p.circ("glass", 0.5, 0.42, 0.06)


def balloon(p: Pen) -> None:
    p.ell("main", 0.05, 0.0, 0.95, 0.68)
    for u0, u1 in ((0.22, 0.36), (0.64, 0.78)):
        p.poly("stripe", u0, 0.03, u1, 0.03, u1 - 0.03, 0.66, u0 + 0.03, 0.66)
    p.poly("main", 0.22, 0.58, 0.78, 0.58, 0.6, 0.76, 0.4, 0.76)
    p.line("black", 0.006, 0.4, 0.76, 0.42, 0.88)
    p.line("black", 0.006, 0.6, 0.76, 0.58, 0.88)
    p.rect("wood", 0.4, 0.86, 0.6, 1.0)


def house(p: Pen) -> None:
    p.rect("main", 0.1, 0.45, 0.9, 1.0)
    p.rect("dark", 0.7, 0.08, 0.8, 0.35)
    p.poly("roof", 0.0, 0.5, 0.5, 0.04, 1.0, 0.5)
    p.rect("wood", 0.42, 0.66, 0.58, 1.0)
    for u in (0.17, 0.67):
        p.rect("white", u - 0.01, 0.57, u + 0.17, 0.79)
        p.rect("window", u, 0.59, u + 0.16, 0.77)
    p.circ("window", 0.5, 0.33, 0.06)


def cabin(p: Pen) -> None:
    p.rect("main", 0.08, 0.4, 0.92, 1.0)
    for i in range(7):
        p.line("dark", 0.012, 0.08, 0.45 + i * 0.08, 0.92, 0.45 + i * 0.08)
    p.poly("dark", 0.0, 0.45, 0.5, 0.02, 1.0, 0.45)
    p.rect("stone", 0.75, 0.05, 0.85, 0.3)
    p.rect("black", 0.42, 0.62, 0.58, 1.0)
    p.rect("window", 0.16, 0.56, 0.34, 0.78)
    p.rect("window", 0.66, 0.56, 0.84, 0.78)


def castle(p: Pen) -> None:
    p.rect("main", 0.12, 0.4, 0.88, 1.0)
    for i in range(8):
        u = 0.13 + i * 0.095
        p.rect("main", u, 0.34, u + 0.05, 0.4)
    for u in (0.0, 0.78):
        p.rect("main", u, 0.22, u + 0.22, 1.0)
        p.poly("roof", u - 0.03, 0.23, u + 0.11, 0.0, u + 0.25, 0.23)
        p.rect("black", u + 0.08, 0.4, u + 0.14, 0.52)
    p.rect("main", 0.4, 0.12, 0.6, 0.4)
    p.poly("roof", 0.37, 0.13, 0.5, -0.08, 0.63, 0.13)
    p.ell("black", 0.4, 0.62, 0.6, 0.86)
    p.rect("black", 0.4, 0.74, 0.6, 1.0)
    p.rect("window", 0.47, 0.2, 0.53, 0.3)


def church(p: Pen) -> None:
    p.rect("main", 0.05, 0.5, 0.7, 1.0)
    p.poly("roof", 0.0, 0.52, 0.38, 0.3, 0.75, 0.52)
    p.rect("main", 0.62, 0.25, 0.9, 1.0)
    p.poly("roof", 0.59, 0.26, 0.76, -0.05, 0.93, 0.26)
    p.line("yellow", 0.012, 0.76, -0.05, 0.76, -0.16)
    p.line("yellow", 0.012, 0.72, -0.12, 0.8, -0.12)
    p.ell("window", 0.7, 0.35, 0.82, 0.5)
    p.ell("wood", 0.69, 0.7, 0.83, 0.9)
    p.rect("wood", 0.69, 0.8, 0.83, 1.0)
    for u in (0.14, 0.34, 0.5):
        p.ell("window", u, 0.6, u + 0.09, 0.72)
        p.rect("window", u, 0.66, u + 0.09, 0.82)


def tower(p: Pen) -> None:
    p.rect("main", 0.12, 0.06, 0.88, 1.0)
    p.rect("dark", 0.12, 0.0, 0.88, 0.06)
    p.line("silver", 0.01, 0.5, 0.0, 0.5, -0.06)
    for row in range(16):
        for col in range(5):
            u, v = 0.18 + col * 0.14, 0.1 + row * 0.056
            p.rect("window", u, v, u + 0.09, v + 0.035)


def windmill(p: Pen) -> None:
    p.poly("main", 0.32, 1.0, 0.4, 0.32, 0.6, 0.32, 0.68, 1.0)
    p.poly("dark", 0.36, 0.34, 0.5, 0.2, 0.64, 0.34)
    p.rect("wood", 0.45, 0.82, 0.55, 1.0)
    p.rect("window", 0.46, 0.5, 0.54, 0.6)
    c = (0.5, 0.3)
    for du, dv in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
        tip = (c[0] + du * 0.48, c[1] + dv * 0.3)
        p.line("wood", 0.02, c[0], c[1], tip[0], tip[1])
        mid = (c[0] + du * 0.26, c[1] + dv * 0.16)
        p.poly(
            "white", mid[0], mid[1], tip[0], tip[1],
            tip[0] + dv * 0.05, tip[1] - du * 0.08, mid[0] + dv * 0.05, mid[1] - du * 0.08,
        )  # fmt: skip
    p.circ("black", c[0], c[1], 0.03)


def tent(p: Pen) -> None:
    p.ell("shadow", 0.0, 0.92, 1.0, 1.04)
    p.poly("main", 0.0, 1.0, 0.5, 0.05, 1.0, 1.0)
    p.poly("dark", 0.5, 0.05, 0.36, 1.0, 0.64, 1.0)
    p.poly("lamp" if p.night else "black", 0.5, 0.45, 0.42, 1.0, 0.58, 1.0)
    p.line("dark", 0.01, 0.5, 0.05, 0.5, -0.04)


def bridge(p: Pen) -> None:
    p.rect("main", 0.0, 0.3, 1.0, 0.4)
    p.rect("dark", 0.0, 0.26, 1.0, 0.3)
    for u in (0.3, 0.7):
        p.rect("main", u - 0.03, 0.0, u + 0.03, 1.0)
    p.line("dark", 0.012, 0.0, 0.28, 0.1, 0.2, 0.2, 0.08, 0.27, 0.0)
    p.line("dark", 0.012, 0.33, 0.0, 0.45, 0.18, 0.5, 0.24, 0.55, 0.18, 0.67, 0.0)
    p.line("dark", 0.012, 0.73, 0.0, 0.8, 0.08, 0.9, 0.2, 1.0, 0.28)
    for i in range(1, 20):
        u = i / 20
        p.line("dark", 0.005, u, 0.28, u, 0.1 + abs(((u * 2.5) % 1) - 0.5) * 0.3)


def boat(p: Pen) -> None:
    p.poly("main", 0.02, 0.68, 0.98, 0.68, 0.84, 0.92, 0.14, 0.92)
    p.rect("white", 0.08, 0.72, 0.9, 0.75)
    p.line("wood", 0.012, 0.5, 0.02, 0.5, 0.68)
    p.poly("white", 0.52, 0.04, 0.52, 0.64, 0.92, 0.64)
    p.poly("white", 0.48, 0.1, 0.48, 0.64, 0.14, 0.64)
    p.poly("red", 0.5, 0.0, 0.5, 0.06, 0.6, 0.03)


def bicycle(p: Pen) -> None:
    for u in (0.2, 0.8):
        p.ring("tyre", u, 0.7, 0.28, 0.05)
        p.circ("silver", u, 0.7, 0.03)
    w = 0.045
    p.line("main", w, 0.2, 0.7, 0.45, 0.7, 0.38, 0.34, 0.2, 0.7)
    p.line("main", w, 0.45, 0.7, 0.74, 0.34, 0.38, 0.34)
    p.line("main", w, 0.8, 0.7, 0.72, 0.22)
    p.line("black", 0.04, 0.66, 0.22, 0.78, 0.2)
    p.line("black", 0.06, 0.3, 0.28, 0.44, 0.28)
    p.line("main", w, 0.37, 0.34, 0.36, 0.28)


def umbrella(p: Pen) -> None:
    p.line("black", 0.025, 0.5, 0.3, 0.5, 0.92, 0.46, 0.98, 0.4, 0.94)
    p.poly("main", 0.0, 0.42, 0.04, 0.22, 0.2, 0.06, 0.5, 0.0, 0.8, 0.06, 0.96, 0.22, 1.0, 0.42)
    for i in range(4):
        u = i * 0.25
        p.ell("dark", u, 0.36, u + 0.25, 0.48)
    p.poly("main", 0.0, 0.42, 1.0, 0.42, 1.0, 0.4, 0.0, 0.4)
    p.line("dark", 0.012, 0.5, 0.0, 0.5, 0.42)


def chair(p: Pen) -> None:
    p.rect("main", 0.18, 0.0, 0.82, 0.46)
    p.rect("light", 0.26, 0.06, 0.74, 0.4)
    p.poly("dark", 0.08, 0.5, 0.92, 0.5, 0.98, 0.6, 0.02, 0.6)
    for u in (0.08, 0.86):
        p.rect("wood", u, 0.6, u + 0.06, 1.0)
    p.rect("wood", 0.24, 0.6, 0.3, 0.9)
    p.rect("wood", 0.7, 0.6, 0.76, 0.9)


def cup(p: Pen) -> None:
    p.ell("shadow", 0.0, 0.9, 0.85, 1.0)
    p.ring("main", 0.78, 0.5, 0.2, 0.07)
    p.poly("main", 0.05, 0.18, 0.78, 0.18, 0.72, 0.96, 0.11, 0.96)
    p.ell("wood", 0.08, 0.14, 0.75, 0.24)
    p.line("white", 0.02, 0.3, 0.1, 0.25, 0.0, 0.32, -0.1)
    p.line("white", 0.02, 0.5, 0.1, 0.45, 0.0, 0.52, -0.1)


def moon(p: Pen) -> None:
    p.circ("beam", 0.5, 0.5, 0.62)
    p.circ("moon", 0.5, 0.5, 0.48)
    for u, v, r in ((0.36, 0.38, 0.08), (0.62, 0.6, 0.11), (0.6, 0.3, 0.05), (0.35, 0.68, 0.05)):
        p.circ("crater", u, v, r)


def planet(p: Pen) -> None:
    p.arc("light", (0.0, 0.36, 1.0, 0.68), 180, 360, 0.06)
    p.circ("main", 0.5, 0.5, 0.4)
    p.ell("light", 0.4, 0.18, 0.56, 0.3)
    p.rect("dark", 0.36, 0.56, 0.64, 0.6)
    p.arc("light", (0.0, 0.36, 1.0, 0.68), 0, 180, 0.06)


MADE: dict[str, Shape] = {
    "lighthouse": Shape(lighthouse, 0.42, "ground", (240, 240, 236), 0.72, "cliff"),
    "car": Shape(car, 2.5, "ground", (206, 32, 36), 0.42),
    "truck": Shape(truck, 2.1, "ground", (40, 90, 200), 0.42),
    "bus": Shape(bus, 2.6, "ground", (244, 196, 30), 0.42),
    "train": Shape(train, 2.6, "ground", (200, 40, 40), 0.42),
    "plane": Shape(plane, 2.4, "sky", (240, 240, 244), 0.4),
    "rocket": Shape(rocket, 0.45, "sky", (236, 236, 240), 0.7, "space"),
    "balloon": Shape(balloon, 0.7, "sky", (220, 60, 50), 0.6),
    "house": Shape(house, 1.2, "ground", (236, 222, 190), 0.56),
    "cabin": Shape(cabin, 1.3, "ground", (140, 92, 52), 0.5, "forest"),
    "castle": Shape(castle, 1.35, "ground", (176, 172, 164), 0.62),
    "church": Shape(church, 1.0, "ground", (236, 230, 214), 0.62),
    "tower": Shape(tower, 0.32, "ground", (90, 110, 140), 0.8, "city"),
    "windmill": Shape(windmill, 0.9, "ground", (236, 226, 206), 0.7),
    "tent": Shape(tent, 1.3, "ground", (236, 120, 40), 0.42, "forest"),
    "bridge": Shape(bridge, 3.2, "float", (196, 60, 40), 0.5, "sea"),
    "boat": Shape(boat, 1.0, "water", (200, 40, 40), 0.5, "sea"),
    "bicycle": Shape(bicycle, 1.6, "ground", (30, 110, 200), 0.45),
    "umbrella": Shape(umbrella, 1.0, "ground", (200, 40, 60), 0.55, "beach"),
    "chair": Shape(chair, 0.75, "ground", (180, 60, 50), 0.5),
    "cup": Shape(cup, 1.05, "ground", (240, 240, 236), 0.45),
    "moon": Shape(moon, 1.0, "sky", (240, 238, 220), 0.5),
    "planet": Shape(planet, 2.2, "sky", (214, 170, 110), 0.55, "space"),
}
