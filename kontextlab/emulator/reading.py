"""What a prompt asks the demo renderer for: subjects (with their colours), the time of day,
the weather, the season and the place. Plain word lists; no grammar beyond "a colour word
qualifies the next noun"."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

RGB = tuple[int, int, int]

COLOURS: dict[str, RGB] = {
    "red": (206, 32, 36),
    "crimson": (180, 20, 50),
    "scarlet": (222, 36, 28),
    "blue": (36, 84, 214),
    "navy": (24, 40, 110),
    "teal": (24, 140, 140),
    "turquoise": (40, 190, 190),
    "cyan": (40, 200, 220),
    "green": (40, 160, 60),
    "emerald": (20, 150, 90),
    "lime": (150, 220, 40),
    "yellow": (244, 206, 30),
    "orange": (240, 126, 24),
    "purple": (128, 50, 170),
    "violet": (140, 70, 200),
    "lilac": (190, 150, 220),
    "pink": (240, 120, 170),
    "magenta": (210, 40, 160),
    "white": (240, 240, 236),
    "black": (28, 28, 32),
    "gold": (222, 176, 48),
    "golden": (222, 176, 48),
    "silver": (190, 196, 204),
    "brown": (120, 74, 38),
    "grey": (128, 130, 134),
    "gray": (128, 130, 134),
    "beige": (214, 196, 160),
}

# word → subject key; plurals are found by stripping "s"/"es" (see `subject_of`)
SUBJECTS: dict[str, str] = {}
for _key, _words in {
    "lighthouse": "lighthouse beacon",
    "car": "car sportscar automobile taxi cab convertible jeep coupe racecar",
    "truck": "truck lorry pickup van",
    "bus": "bus",
    "cat": "cat kitten kitty",
    "dog": "dog puppy pup hound doggy",
    "fox": "fox",
    "rabbit": "rabbit bunny hare",
    "bear": "bear",
    "horse": "horse pony stallion mare unicorn",
    "cow": "cow cattle bull ox",
    "sheep": "sheep lamb",
    "elephant": "elephant",
    "giraffe": "giraffe",
    "penguin": "penguin",
    "duck": "duck swan goose",
    "bird": "bird seagull gull eagle sparrow crow parrot dove hawk robin",
    "owl": "owl",
    "fish": "fish goldfish salmon",
    "whale": "whale dolphin",
    "butterfly": "butterfly",
    "dragon": "dragon",
    "person": "person man woman people girl boy child kid figure hiker traveler traveller",
    "robot": "robot android droid mech",
    "snowman": "snowman",
    "house": "house home cottage villa farmhouse",
    "cabin": "cabin hut chalet lodge",
    "castle": "castle palace fortress fort",
    "church": "church chapel cathedral",
    "tower": "tower skyscraper",
    "windmill": "windmill",
    "tent": "tent",
    "bridge": "bridge",
    "tree": "tree oak pine",
    "palm": "palm",
    "cactus": "cactus cacti",
    "flower": "flower rose tulip daisy sunflower blossom",
    "mushroom": "mushroom toadstool",
    "boat": "boat ship sailboat yacht ferry sail",
    "train": "train locomotive tram",
    "plane": "plane airplane aeroplane jet aircraft airliner",
    "rocket": "rocket spaceship spacecraft shuttle",
    "balloon": "balloon",
    "bicycle": "bicycle bike",
    "umbrella": "umbrella parasol",
    "chair": "chair armchair",
    "cup": "cup mug teacup coffee",
    "apple": "apple",
    "pumpkin": "pumpkin",
    "moon": "moon",
    "planet": "planet saturn jupiter",
    "island": "island",
    "volcano": "volcano",
    "waterfall": "waterfall",
    "mountain": "mountain peak summit",
    "city": "city skyline town",
}.items():
    for _word in _words.split():
        SUBJECTS[_word] = _key

# Subjects that are also a place: alone they are drawn as the subject; beside other subjects
# they become the background.
PLACE_SUBJECTS = {"mountain": "mountains", "city": "city"}

TIMES: dict[str, str] = {
    "noon": "day", "midday": "day", "day": "day", "daytime": "day", "sunny": "day",
    "morning": "day", "afternoon": "day", "daylight": "day", "bright": "day",
    "sunrise": "sunrise", "dawn": "sunrise", "daybreak": "sunrise",
    "sunset": "sunset", "golden": "sunset", "evening": "sunset", "sundown": "sunset",
    "dusk": "dusk", "twilight": "dusk",
    "night": "night", "midnight": "night", "nighttime": "night", "starry": "night",
    "stars": "night", "moonlight": "night", "moonlit": "night", "dark": "night",
}  # fmt: skip
WEATHER: dict[str, str] = {
    "snow": "snow", "snowy": "snow", "snowing": "snow", "snowfall": "snow", "blizzard": "snow",
    "rain": "rain", "rainy": "rain", "raining": "rain", "drizzle": "rain", "wet": "rain",
    "fog": "fog", "foggy": "fog", "mist": "fog", "misty": "fog", "haze": "fog", "hazy": "fog",
    "storm": "storm", "stormy": "storm", "thunder": "storm", "lightning": "storm",
    "thunderstorm": "storm",
}  # fmt: skip
SEASONS: dict[str, str] = {
    "autumn": "autumn", "fall": "autumn", "autumnal": "autumn",
    "spring": "spring", "springtime": "spring",
    "winter": "winter", "wintry": "winter",
    "summer": "summer",
}  # fmt: skip
PLACES: dict[str, str] = {
    "desert": "desert", "dune": "desert", "dunes": "desert", "sand": "desert",
    "sahara": "desert", "canyon": "desert",
    "sea": "sea", "ocean": "sea", "waves": "sea", "wave": "sea", "lake": "sea",
    "coast": "sea", "harbor": "sea", "harbour": "sea", "bay": "sea", "water": "sea",
    "river": "sea", "shore": "beach", "beach": "beach",
    "forest": "forest", "woods": "forest", "jungle": "forest", "woodland": "forest",
    "city": "city", "street": "city", "streets": "city", "downtown": "city",
    "urban": "city", "neon": "city", "cyberpunk": "city",
    "mountains": "mountains", "alps": "mountains", "hills": "field",
    "field": "field", "meadow": "field", "farm": "field", "garden": "field",
    "park": "field", "countryside": "field",
    "cliff": "cliff", "cliffs": "cliff",
    "space": "space", "galaxy": "space", "cosmos": "space", "orbit": "space",
}  # fmt: skip
# Words that may stand between a colour and its noun ("a red sports car").
FILLERS = {
    "sports", "big", "small", "little", "tiny", "huge", "giant", "old", "new", "shiny",
    "vintage", "cute", "fluffy", "tall", "wooden", "cozy", "cosy", "lone", "single", "hot",
    "air", "fast", "happy", "lovely", "beautiful", "majestic", "ancient", "modern", "racing",
    "and", "striped", "sleek", "classic", "light", "dark", "pale", "deep", "bright", "vivid",
}  # fmt: skip
TONES = {"bright": 1.0, "vivid": 1.0, "light": 1.35, "pale": 1.5, "dark": 0.55, "deep": 0.7}
MAX_WORDS = 400  # a hostile 10,000-character prompt is read only this far


@dataclass(frozen=True)
class Wanted:
    """A subject the prompt names, with the colour it gives it (None: the subject's own)."""

    key: str
    colour: RGB | None = None
    position: int = 0


@dataclass(frozen=True)
class Reading:
    subjects: tuple[Wanted, ...] = ()
    time: str = "day"
    weather: frozenset[str] = field(default_factory=frozenset)
    season: str = ""
    place: str = ""
    place_colour: RGB | None = None
    bright: bool = False
    timed: bool = False  # the prompt named a time of day


def words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text[:20_000].lower())[:MAX_WORDS]


def subject_of(word: str) -> str | None:
    """The subject a word names, its plural too ("ponies", "foxes", "boats")."""
    forms = [word]
    if word.endswith("ies"):
        forms.append(word[:-3] + "y")
    if word.endswith("es"):
        forms.append(word[:-2])
    if word.endswith("s"):
        forms.append(word[:-1])
    return next((SUBJECTS[f] for f in forms if f in SUBJECTS), None)


def toned(colour: RGB, tone: float) -> RGB:
    if tone > 1:  # toward white
        k = min(1.0, tone - 1)
        return tuple(round(c + (255 - c) * k * 0.8) for c in colour)  # type: ignore[return-value]  # three in, three out
    return tuple(round(c * tone) for c in colour)  # type: ignore[return-value]  # three in, three out


def colour_before(ws: list[str], i: int) -> RGB | None:
    """The colour word qualifying the noun at `i`: looking back over fillers only."""
    tone = 1.0
    found: RGB | None = None
    for j in range(i - 1, max(-1, i - 5), -1):
        w = ws[j]
        if w in COLOURS and found is None:
            found = COLOURS[w]
        elif w in TONES:
            tone = TONES[w]
        elif w not in FILLERS and w not in COLOURS:
            break
    return toned(found, tone) if found else None


def read(prompt: str) -> Reading:
    ws = words(prompt)
    subjects: list[Wanted] = []
    time, timed, season, place = "day", False, "", ""
    weather: set[str] = set()
    place_colour: RGB | None = None
    for i, w in enumerate(ws):
        if w == "fall" and (i == 0 or ws[i - 1] not in ("in", "the", "of", "during", "late")):
            continue  # "leaves fall": not the season
        key = subject_of(w)
        if key and key not in {s.key for s in subjects}:
            subjects.append(Wanted(key, colour_before(ws, i), i))
        if w in TIMES and w != "bright" and (w != "dark" or _ends_phrase(ws, i)):
            time, timed = TIMES[w], True
        if w in WEATHER:
            weather.add(WEATHER[w])
        if w in SEASONS:
            season = SEASONS[w]
        if w in PLACES and not place:
            place = PLACES[w]
            place_colour = colour_before(ws, i)
        elif w in PLACES and PLACES[w] in ("sea", "beach") and place == "cliff":
            place = "cliff"  # a cliff over the sea keeps its cliff; the sea shows below it
    if "golden" in ws and "hour" in ws:
        time, timed = "sunset", True
    if season == "winter":
        weather.add("snow")
    # A city is a place; a mountain beside other subjects is their background.
    for wanted in [s for s in subjects if s.key in PLACE_SUBJECTS]:
        if wanted.key == "city" or len(subjects) > 1:
            subjects.remove(wanted)
            place = place if place and place != PLACE_SUBJECTS[wanted.key] else wanted.key
            place = PLACE_SUBJECTS.get(place, place)
            place_colour = place_colour or wanted.colour
    return Reading(
        tuple(subjects[:3]),
        time,
        frozenset(weather),
        season,
        place,
        place_colour,
        "bright" in ws or "vivid" in ws,
        timed,
    )


def _ends_phrase(ws: list[str], i: int) -> bool:
    return i == len(ws) - 1 or ws[i + 1] in ("night", "sky", "and")


def mentions(ws: list[str], *phrases: str) -> bool:
    """Whether any phrase (one or more words) occurs in the word list."""
    text = " " + " ".join(ws) + " "
    return any(f" {p} " in text for p in phrases)
