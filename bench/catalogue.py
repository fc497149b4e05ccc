"""A synthetic catalogue of N films for benchmarks, built once and cached as an SQLite file.

Titles mix English, Nordic, German, French, Spanish, Polish, Czech and romanised Japanese words
with their diacritics; years run 1920-2025; about 5% of titles recur in another year, the way
remakes do. The demo data is loaded first, so "Second Victims" and its review are there too.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select

from bot.demo import is_empty, load_demo
from bot.normalize import normalize
from storage.db import Database
from storage.models_catalogue import Film, FilmTitle

CACHE = Path(__file__).parent / ".cache"

WORDS = {
    "en": "night day river house second victims light breaks gold number odd fish grand finale "
    "winter summer blue red last first king queen storm sea city love war song road girl man "
    "woman child dark silent return stranger island mountain garden letter dream shadow fire "
    "water glass paper bird wolf horse train station hotel kingdom promise secret memory".split(),
    "nordic": "søster bror hjem vinter sommer lys mørke fjord øen ærlig hævn kærlighed "
    "sjælen drøm skov havet byen natten dagen själ fågel älskar sång väg flicka pojke "
    "snø hav fjell gård sorg glede".split(),
    "de": "straße nacht tag fluß liebe könig mädchen jäger wald schön grün müde frühling "
    "ärger über weiß".split(),
    "fr": "été élève château mère père fille garçon lumière rêve forêt cœur âme fenêtre "
    "dernière première".split(),
    "es": "niño mañana corazón señora año sueño camino fuego noche luz".split(),
    "pl": "łódź żona miłość śnieg góry dziewczyna ciemność źródło".split(),
    "cs": "řeka čas žena dítě město sníh".split(),
    "ja": "tokyo monogatari yume kaze sakura tsuki hana umi yoru ame kokoro shonen".split(),
}
ARTICLES = {"en": ["the", "a"], "fr": ["la", "le", "les"], "de": ["der", "die", "das"]}
# Syllables to make each language's long tail of rarer words (names, places, coinages): real
# catalogues have hundreds of thousands of distinct words, not a few hundred.
SYLLABLES = {
    "en": "ar ber cal den ell fin gar hol ing jack kin lor man nor ock par quin ros sel tom "
    "ver win york".split(),
    "nordic": "bjør dal fjæ gård hø kjø lund møl næs ør rød sjø strøm sæt tor vik åsen".split(),
    "de": "bach berg burg dorf feld gün hö kö mü sch stein tä wei zü".split(),
    "fr": "bé cé dé fè gé jé lé mé né pé ré sé té vé".split(),
    "es": "bar cas do ga ja lo ma ña ño pe ro sa ve".split(),
    "pl": "bło cze dzi gło kra łę prz ści wró źdź".split(),
    "cs": "bře čer dvo hra kře lou pří ště vrá žel".split(),
    "ja": "chi fu ka ki ko ma mi na no ra ri sa shi ta to tsu yo".split(),
}


LETTERS = {
    "en": ("bcdfghjklmnprstvwyz", "aeiou"),
    "nordic": ("bdfghjklmnprstvj", "aeiouyæøåä"),
    "de": ("bdfghklmnprstwzß", "aeiouäöü"),
    "fr": ("bcdfglmnprstv", "aeiouéèêç"),
    "es": ("bcdfglmnprstvñ", "aeiouáéó"),
    "pl": ("bcdgklmnprstwzłśż", "aeiouyąę"),
    "cs": ("bcdhklmnprstvzčřšž", "aeiouyáí"),
    "ja": ("kstnhmyrw", "aeiou"),
}
TAIL_WORDS = 20_000  # per language


def _tail_vocabulary(rng: random.Random, lang: str) -> list[str]:
    """Made-up names and rare words: syllables for the language's look, letters for variety."""
    consonants, vowels = LETTERS[lang]
    words = []
    for _ in range(TAIL_WORDS):
        if rng.random() < 0.5:
            word = "".join(rng.choice(SYLLABLES[lang]) for _ in range(rng.choice([2, 2, 3])))
        else:
            word = "".join(
                rng.choice(consonants) + rng.choice(vowels) for _ in range(rng.randint(2, 4))
            )
        words.append(word)
    return words


def synthetic_titles(n: int, seed: int = 1) -> list[tuple[str, int]]:
    rng = random.Random(seed)
    langs = list(WORDS)
    # Word frequencies follow Zipf's law, as in real titles: a few words ("night", "love") are
    # everywhere, most words are rare.
    vocab = {lang: WORDS[lang] + _tail_vocabulary(rng, lang) for lang in langs}
    cum = {}
    for lang, words in vocab.items():
        total, acc = 0.0, []
        for rank in range(len(words)):
            total += 1 / (rank + 2)
            acc.append(total)
        cum[lang] = acc
    weights = [40, 15, 10, 10, 8, 5, 4, 8]
    out: list[tuple[str, int]] = []
    while len(out) < n:
        if out and rng.random() < 0.05:  # a remake: same title, another year
            title, _ = out[rng.randrange(len(out))]
            out.append((title, rng.randint(1920, 2025)))
            continue
        lang = rng.choices(langs, weights)[0]
        length = rng.choices([1, 2, 3, 4, 5], [8, 30, 32, 20, 10])[0]
        words = rng.choices(vocab[lang], cum_weights=cum[lang], k=length)
        if lang in ARTICLES and rng.random() < 0.3:
            words.insert(0, rng.choice(ARTICLES[lang]))
        title = " ".join(words)
        title = title[0].upper() + title[1:]
        if rng.random() < 0.15:
            suffix = rng.choice(["Part II", "Redux", "1984", "Returns", "III"])
            title += rng.choice([": ", " - ", " "]) + suffix
        out.append((title, rng.randint(1920, 2025)))
    return out


def build_catalogue(path: Path, n: int, seed: int = 1) -> str:
    """Create (or reuse) an SQLite catalogue with the demo data plus `n` synthetic films."""
    url = f"sqlite:///{path}"
    if path.exists():
        return url
    # A name of this process's own, so two benchmarks building at once don't collide; the
    # rename at the end is atomic and the first to finish wins.
    tmp = path.with_suffix(f".building-{os.getpid()}")
    db = Database(f"sqlite:///{tmp}")
    db.migrate()
    now = datetime.now(UTC)
    with db.session() as session:
        if is_empty(session):
            load_demo(session, now)
    started = time.perf_counter()
    titles = synthetic_titles(n, seed)
    with db.session() as session:
        first_id = (session.scalar(select(Film.id).order_by(Film.id.desc()).limit(1)) or 0) + 1
    batch = 50_000
    for start in range(0, n, batch):
        chunk = titles[start : start + batch]
        films = [
            {
                "id": first_id + start + i,
                "title": t,
                "year": y,
                "countries": [],
                "languages": [],
                "created_at": now,
                "updated_at": now,
            }
            for i, (t, y) in enumerate(chunk)
        ]
        rows = [
            {"film_id": f["id"], "title": f["title"], "norm": normalize(f["title"]), "kind": "main"}
            for f in films
        ]
        with db.session() as session:
            session.execute(insert(Film), films)
            session.execute(insert(FilmTitle), rows)
    with db.engine.connect() as conn:
        # Fold the write-ahead log into the file, so the file alone is the whole database.
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    for suffix in ("-wal", "-shm"):  # renamed with the file, never deleted: they are part of it
        if Path(f"{tmp}{suffix}").exists():
            Path(f"{tmp}{suffix}").rename(f"{path}{suffix}")
    tmp.rename(path)
    print(f"built {n:,} synthetic films in {time.perf_counter() - started:.1f} s → {path}")
    return url


def catalogue_path(n: int, seed: int = 1) -> Path:
    CACHE.mkdir(exist_ok=True)
    return CACHE / f"catalogue-{n}-{seed}.db"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--films", type=int, default=1_000_000)
    args = p.parse_args()
    print(build_catalogue(catalogue_path(args.films), args.films))


if __name__ == "__main__":
    main()
