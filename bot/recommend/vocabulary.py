"""The words `recommend [genre] [mood] [era] [country]` understands, and the adjectives reasons
use ("Danish hospital drama").

Moods are documented here and in the README: each mood stands for a set of genres and keywords
(from synopses and reviews); a film fits the mood when it has any of them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mood:
    genres: tuple[str, ...]
    keywords: tuple[str, ...] = ()


MOODS: dict[str, Mood] = {
    "tense": Mood(
        ("thriller", "crime", "mystery", "war", "horror", "film-noir"),
        ("suspense", "tension", "manhunt", "hostage", "chase", "paranoia"),
    ),
    "funny": Mood(("comedy", "satire"), ("comic", "hilarious", "absurd", "farce")),
    "feel-good": Mood(
        ("comedy", "romance", "musical", "family", "animation"),
        ("friendship", "heartwarming", "joy", "uplifting"),
    ),
    "dark": Mood(
        ("horror", "crime", "thriller", "film-noir", "psychological"),
        ("murder", "grief", "revenge", "violence", "despair", "guilt"),
    ),
    "romantic": Mood(("romance",), ("love", "lovers", "marriage", "affair", "wedding")),
    "thoughtful": Mood(
        ("drama", "documentary", "history", "psychological"),
        ("memory", "identity", "conscience", "faith", "philosophy", "grief"),
    ),
    "mind-bending": Mood(
        ("science fiction", "sci-fi", "fantasy", "mystery"),
        ("time", "dream", "alien", "reality", "memory"),
    ),
    "epic": Mood(("war", "history", "adventure", "western"), ("empire", "battle", "journey")),
    "scary": Mood(("horror",), ("ghost", "haunted", "monster", "killer")),
    "sad": Mood(("drama", "war"), ("grief", "loss", "death", "illness", "mourning")),
    "family": Mood(("animation", "family", "children"), ("children", "kids", "friendship")),
}
# Other words people use for the same moods.
MOOD_SYNONYMS = {
    "suspenseful": "tense",
    "thrilling": "tense",
    "comic": "funny",
    "comedic": "funny",
    "light": "feel-good",
    "lighthearted": "feel-good",
    "uplifting": "feel-good",
    "cosy": "feel-good",
    "cozy": "feel-good",
    "feelgood": "feel-good",
    "bleak": "dark",
    "grim": "dark",
    "romance": "romantic",
    "cerebral": "thoughtful",
    "serious": "thoughtful",
    "mindbending": "mind-bending",
    "weird": "mind-bending",
    "surreal": "mind-bending",
    "spooky": "scary",
    "creepy": "scary",
    "tearjerker": "sad",
    "moving": "sad",
}
# Genre words that differ from how catalogues spell the genre.
GENRE_SYNONYMS = {
    "scifi": "science fiction",
    "sci-fi": "science fiction",
    "sf": "science fiction",
    "docs": "documentary",
    "doc": "documentary",
    "noir": "film-noir",
    "romcom": "romance",
    "animated": "animation",
    "historical": "history",
}

# Country (normalised, as films store it) → adjective, for reasons and for `recommend danish`.
COUNTRY_ADJECTIVES = {
    "denmark": "Danish",
    "norway": "Norwegian",
    "sweden": "Swedish",
    "finland": "Finnish",
    "iceland": "Icelandic",
    "france": "French",
    "germany": "German",
    "italy": "Italian",
    "spain": "Spanish",
    "portugal": "Portuguese",
    "poland": "Polish",
    "czech republic": "Czech",
    "czechia": "Czech",
    "hungary": "Hungarian",
    "romania": "Romanian",
    "greece": "Greek",
    "netherlands": "Dutch",
    "belgium": "Belgian",
    "austria": "Austrian",
    "switzerland": "Swiss",
    "ireland": "Irish",
    "united kingdom": "British",
    "uk": "British",
    "united states": "American",
    "usa": "American",
    "canada": "Canadian",
    "mexico": "Mexican",
    "argentina": "Argentine",
    "brazil": "Brazilian",
    "chile": "Chilean",
    "japan": "Japanese",
    "south korea": "Korean",
    "korea": "Korean",
    "china": "Chinese",
    "hong kong": "Hong Kong",
    "taiwan": "Taiwanese",
    "india": "Indian",
    "iran": "Iranian",
    "turkey": "Turkish",
    "russia": "Russian",
    "soviet union": "Soviet",
    "australia": "Australian",
    "new zealand": "New Zealand",
}
# Regions people ask for, as sets of countries.
REGIONS = {
    "nordic": ("denmark", "norway", "sweden", "finland", "iceland"),
    "scandinavian": ("denmark", "norway", "sweden"),
    "east asian": ("japan", "south korea", "korea", "china", "hong kong", "taiwan"),
    "latin american": ("mexico", "argentina", "brazil", "chile"),
    "british": ("united kingdom", "uk"),
    "american": ("united states", "usa"),
}
# Eras: a word → the decades it covers.
ERA_WORDS = {
    "silent": tuple(range(1890, 1930, 10)),
    "classic": tuple(range(1920, 1970, 10)),
    "golden-age": tuple(range(1930, 1960, 10)),
    "new": (2020,),
    "recent": (2010, 2020),
    "modern": (2000, 2010, 2020),
}


def decades_for(word: str) -> tuple[int, ...] | None:
    """ "1970s", "70s", "1970" → (1970,); era words → their decades; otherwise None."""
    if word in ERA_WORDS:
        return ERA_WORDS[word]
    text = word.removesuffix("s").removesuffix("'")
    if text.isdecimal():
        year = int(text)
        if len(text) == 2:
            year += 1900 if year >= 20 else 2000
        if 1880 <= year <= 2099:
            return (year // 10 * 10,)
    return None


def country_matches(word: str) -> tuple[str, ...]:
    """Countries (normalised) that `word` names: a region, a country or its adjective."""
    if word in REGIONS:
        return REGIONS[word]
    if word in COUNTRY_ADJECTIVES:
        return (word,)
    found = tuple(c for c, adj in COUNTRY_ADJECTIVES.items() if adj.lower() == word)
    return found
