"""`recommend`'s genre, mood, era and country words as the features a film must have."""

from __future__ import annotations

from bot.context import UserError
from bot.normalize import normalize
from bot.recommend.model import Recommender
from bot.recommend.vocabulary import (
    ERA_WORDS,
    GENRE_SYNONYMS,
    MOOD_SYNONYMS,
    MOODS,
    REGIONS,
    country_matches,
    decades_for,
)


def known_words(rec: Recommender) -> str:
    genres = sorted(k.split(":", 1)[1] for k in rec.content.keys.with_prefix("genre:"))
    return (
        f"Genres: {', '.join(genres) or 'none yet'}. Moods: {', '.join(MOODS)}. "
        f"Eras: a decade (1970s, 90s) or {', '.join(ERA_WORDS)}. "
        f"Countries: a country or its adjective (danish, japanese) or {', '.join(REGIONS)}."
    )


def parse_filters(rec: Recommender, text: str) -> tuple[list[list[int]], list[str]]:
    """Each word (or two-word phrase) of `text` as a group of features a film must have one of."""
    words = [w for w in normalize(text).replace(",", " ").split() if w]
    groups: list[list[int]] = []
    labels: list[str] = []
    unknown: list[str] = []
    i = 0
    while i < len(words):
        for size in (3, 2, 1):
            phrase = " ".join(words[i : i + size])
            if len(words) - i < size:
                continue
            found = _classify(rec, phrase)
            if found is not None:
                groups.append(found[0])
                labels.append(found[1])
                i += size
                break
        else:
            unknown.append(words[i])
            i += 1
    if unknown:
        raise UserError(
            f"I don't know {', '.join(f'“{w}”' for w in unknown)} as a genre, mood, era or "
            f"country. {known_words(rec)}"
        )
    return groups, labels


def _classify(rec: Recommender, phrase: str) -> tuple[list[int], str] | None:
    """A phrase (already normalised: "feel-good" arrives as "feel good") as features."""

    def ids(keys: list[str]) -> list[int]:
        return [f for k in keys if (f := rec.feature_id(k)) is not None]

    dashed = phrase.replace(" ", "-")
    genre = _GENRES.get(phrase, phrase)
    if rec.feature_id(f"genre:{genre}") is not None:
        return ids([f"genre:{genre}"]), genre
    mood_name = next(
        (_MOODS[p] for p in (phrase, dashed, phrase.replace(" ", "")) if p in _MOODS), None
    )
    if mood_name is not None:
        mood = MOODS[mood_name]
        keys = [f"genre:{normalize(g)}" for g in mood.genres]
        keys += [f"keyword:{normalize(k)}" for k in mood.keywords]
        return ids(keys), mood_name
    decades = decades_for(dashed)
    if decades is not None:
        label = dashed if dashed in ERA_WORDS else f"{decades[0]}s"
        return ids([f"decade:{d}" for d in decades]), label
    countries = country_matches(phrase)
    if countries:
        return ids([f"country:{c}" for c in countries]), phrase
    return None


# The vocabulary's words as they look after `normalize` (no hyphens, no accents).
_GENRES = {normalize(k): normalize(v) for k, v in GENRE_SYNONYMS.items()}
_MOODS = {**{m: m for m in MOODS}, **MOOD_SYNONYMS}
