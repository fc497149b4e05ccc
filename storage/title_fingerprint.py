"""Three figures over the titles up to an id, to tell whether a saved title index still holds."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models_catalogue import Film, FilmTitle


def title_fingerprint(session: Session, up_to_title_id: int) -> tuple[int, int, int]:
    """(count, sum of title ids, sum of their films' years, 0 when unknown) over the titles
    with ids up to `up_to_title_id`. A removed or renamed title, or a film's changed year,
    changes at least one of them."""
    row = session.execute(
        select(
            func.count(FilmTitle.id),
            func.coalesce(func.sum(FilmTitle.id), 0),
            func.coalesce(func.sum(func.coalesce(Film.year, 0)), 0),
        )
        .join(Film, Film.id == FilmTitle.film_id)
        .where(FilmTitle.id <= up_to_title_id)
        .execution_options(every_community=True)  # the one index is every community's
    ).one()
    return int(row[0]), int(row[1]), int(row[2])
