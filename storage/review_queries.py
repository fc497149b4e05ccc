"""Reviews and ratings of a film."""

from __future__ import annotations

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from storage.models_catalogue import Review
from storage.models_members import MemberRating


def reviews_for_film(
    session: Session, film_id: int, offset: int, limit: int
) -> tuple[list[Review], int]:
    total = session.scalar(select(func.count()).where(Review.film_id == film_id)) or 0
    reviews = list(
        session.scalars(
            select(Review)
            .where(Review.film_id == film_id)
            .order_by(Review.published_at.desc(), Review.id.desc())
            .offset(offset)
            .limit(limit)
        )
    )
    return reviews, total


def get_review(session: Session, review_id: int) -> Review | None:
    return session.get(Review, review_id)


def rating_summary(session: Session, film_id: int) -> tuple[float | None, int, int]:
    """(mean stars over reviews and member ratings, number of ratings, number of reviews)."""
    # One statement for both (a round trip fewer on PostgreSQL); the reviews' row first.
    reviews = select(func.sum(Review.rating_halves), func.count(Review.id), literal(0)).where(
        Review.film_id == film_id
    )
    members = select(
        func.sum(MemberRating.rating_halves), func.count(MemberRating.id), literal(1)
    ).where(MemberRating.film_id == film_id)
    rows = sorted(session.execute(reviews.union_all(members)).all(), key=lambda r: r[2])
    (r_sum, r_count, _), (m_sum, m_count, _) = rows
    count = (r_count or 0) + (m_count or 0)
    if not count:
        return None, 0, 0
    return ((r_sum or 0) + (m_sum or 0)) / count / 2, count, r_count or 0


def file_review(session: Session, film_id: int, platform: str, user_id: str) -> Review | None:
    """The review an earlier import of a review file wrote for this author and film, if any."""
    return session.scalars(
        select(Review).where(
            Review.film_id == film_id,
            Review.author_platform == platform,
            Review.author_user_id == user_id,
        )
    ).first()
