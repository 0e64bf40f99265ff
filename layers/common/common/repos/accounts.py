"""Accounts: users (one per email), sign-in sessions (spent refresh tokens, revoked families),
and the fixed-window counters of the abuse limits."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from common import errors
from common.domain import Role, User
from common.ports import PROFILE_FIELDS
from common.repos._dynamo import Table, failed_guards, with_retries
from common.tables import CounterItem, EmailItem, RevokedFamilyItem, SessionItem, TokenItem, UserItem
from common.timeutil import iso, parse_instant


def _user(item: UserItem) -> User:
    return User(
        id=item.user_id,
        email=item.email,
        name=item.name,
        role=Role(item.role),
        password_hash=item.password_hash,
        created_at=parse_instant(item.created_at),
        phone=item.phone,
        address=item.address,
    )


class AccountRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def create_user(self, user: User) -> None:
        """User and email lock in one transaction: two registrations of one email cannot both win."""
        email_item = EmailItem(*EmailItem.key(user.email), user_id=user.id)
        user_item = UserItem(
            *UserItem.key(user.id),
            user_id=user.id,
            email=user.email,
            name=user.name,
            role=user.role.value,
            password_hash=user.password_hash,
            created_at=iso(user.created_at),
            phone=user.phone,
            address=user.address,
        )

        def write(tx: TransactWrite) -> None:
            tx.save(email_item, condition=EmailItem.pk.does_not_exist())
            tx.save(user_item, condition=UserItem.pk.does_not_exist())

        try:
            self._table.transact(write)
        except TransactWriteError as exc:
            if failed_guards(exc):
                raise errors.EmailTaken() from None
            raise

    def get_user(self, user_id: str) -> User:
        return _user(self._table.get(UserItem, UserItem.key(user_id), 'User'))

    def find_user_by_email(self, email: str) -> User | None:
        try:
            lock = self._table.get(EmailItem, EmailItem.key(email), 'User')
        except errors.NotFound:
            return None
        return self.get_user(lock.user_id)

    def update_profile(self, user_id: str, changes: Mapping[str, str | None]) -> User:
        """Set (or, for ``None``, remove) profile fields: one conditional UpdateItem returning the result."""
        if not changes:
            return self.get_user(user_id)
        unknown = set(changes) - PROFILE_FIELDS
        if unknown:
            raise ValueError(f'not changeable: {sorted(unknown)}')
        attribute = {'name': UserItem.name, 'phone': UserItem.phone, 'address': UserItem.address}
        actions = [attribute[k].remove() if v is None else attribute[k].set(v) for k, v in changes.items()]
        item = UserItem(*UserItem.key(user_id))
        if not self._table.update_if(item, actions, UserItem.pk.exists()):
            raise errors.NotFound('User not found')
        return _user(item)

    def change_password(self, user_id: str, old_hash: str, new_hash: str) -> bool:
        """Replace the hash if it is still ``old_hash`` (one conditional UpdateItem): of two
        changes racing from the same password, one wins, the other answers False."""
        item = UserItem(*UserItem.key(user_id))
        return self._table.update_if(
            item, [UserItem.password_hash.set(new_hash)], UserItem.pk.exists() & (UserItem.password_hash == old_hash)
        )

    # ------------------------------------------------------------ sessions

    def record_session(self, user_id: str, family: str, started: datetime, until: datetime) -> None:
        """List a new sign-in session under its user (one PutItem), until it cannot be used."""
        item = SessionItem(
            *SessionItem.key(user_id, family), family=family, started_at=iso(started), ttl=int(until.timestamp())
        )
        with_retries(item.save)

    def sessions(self, user_id: str, now: datetime) -> list[str]:
        """The families of the user's sessions not yet ended: one Query of the user's partition
        (consistent: a session started a moment ago is in it)."""
        query = SessionItem.query(
            SessionItem.partition(user_id), SessionItem.sk.startswith(SessionItem.SK_PREFIX), consistent_read=True
        )
        stamp = now.timestamp()
        return [i.family for i in self._table.read(query) if i.ttl > stamp]

    def forget_session(self, user_id: str, family: str) -> None:
        """Drop a revoked session from the list (idempotent)."""
        with_retries(lambda: SessionItem(*SessionItem.key(user_id, family)).delete())

    def family_revoked(self, family: str) -> bool:
        """Is this sign-in session revoked? One strongly consistent GetItem (a sign-out takes effect
        on the very next request)."""
        return self._table.exists(RevokedFamilyItem, RevokedFamilyItem.key(family), consistent=True)

    def revoke_family(self, family: str, user_id: str, reason: str, now: datetime, until: datetime) -> None:
        """Revoke a session until ``until`` (past its last token's expiry). Idempotent: a session
        revoked twice keeps its first reason."""
        item = RevokedFamilyItem(
            *RevokedFamilyItem.key(family),
            user_id=user_id,
            reason=reason,
            revoked_at=iso(now),
            ttl=int(until.timestamp()),
        )
        self._table.save_if(item, RevokedFamilyItem.pk.does_not_exist())

    def spend_refresh_token(self, jti: str, family: str, user_id: str, expires_at: datetime) -> None:
        """Mark a refresh token used, unless its session is revoked: ONE transaction, two guards.

        Raises ``InvalidToken`` when the session is revoked and ``RefreshTokenReused`` when the token
        was spent before (a replay of a rotated token). Either way nothing is written.
        """
        token = TokenItem(*TokenItem.key(jti), user_id=user_id, reason='rotated', ttl=int(expires_at.timestamp()))
        family_pk, family_sk = RevokedFamilyItem.key(family)

        def write(tx: TransactWrite) -> None:
            tx.condition_check(
                RevokedFamilyItem, family_pk, family_sk, condition=RevokedFamilyItem.pk.does_not_exist()
            )  # transaction index 0
            tx.save(token, condition=TokenItem.pk.does_not_exist())  # 1

        try:
            self._table.transact(write)
        except TransactWriteError as exc:
            failed = failed_guards(exc)
            if 0 in failed:
                raise errors.InvalidToken() from None
            if 1 in failed:
                raise errors.RefreshTokenReused() from None
            raise


class LimitCounters:
    """One item per window of one limit and subject; ``hits`` only moves through conditional ADDs."""

    def __init__(self, table: Table) -> None:
        self._table = table

    def take(self, scope: str, subject_hash: str, window_start: int, limit: int, expires_at: int) -> bool:
        """Count one hit in a fixed window if fewer than ``limit`` are there; False (and nothing
        written) when the window is full. One conditional UpdateItem: exact under concurrency."""
        item = CounterItem(*CounterItem.key(scope, subject_hash, window_start))
        return self._table.update_if(
            item,
            [CounterItem.hits.add(1), CounterItem.ttl.set(expires_at)],
            CounterItem.hits.does_not_exist() | (CounterItem.hits < limit),
        )

    def give_back(self, scope: str, subject_hash: str, window_start: int) -> None:
        """Undo one ``take`` (a sign-in that succeeded is not a failure)."""
        item = CounterItem(*CounterItem.key(scope, subject_hash, window_start))
        self._table.update_if(item, [CounterItem.hits.add(-1)], CounterItem.hits > 0)
