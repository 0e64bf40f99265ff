"""A signed-in guest's own profile, password and wishlist (everything under /api/users/me)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import errors, http, observability, wiring
from common.models.api import PasswordChangeBody, ProfilePatch, UserOut, WishlistAddBody, WishlistItemOut, WishlistOut
from common.observability import logger
from common.services import accounts, users
from common.services.deps import Deps

app = http.make_app()

RoomTypeId = Annotated[str, Path(max_length=63, description="A room type's `id`")]


@wiring.once_per_container
def deps() -> Deps:
    return wiring.build_deps()


@app.get(
    '/api/users/me',
    tags=['users'],
    summary='Read your profile',
    description='The signed-in user: email, name, role, phone and address.',
    openapi_extensions=http.problems(errors.NotFound),
)
def get_me() -> UserOut:
    return UserOut.from_domain(users.profile(deps(), http.caller(app)))


@app.patch(
    '/api/users/me',
    tags=['users'],
    summary='Change your profile',
    description='Only the fields sent change: `name`, `phone`, `address` (`null` clears phone or address; a name '
    'cannot be cleared). Email, role and password cannot be changed here: sending them is 422.',
    openapi_extensions=http.problems(errors.NotFound),
)
def patch_me(body: ProfilePatch) -> UserOut:
    user = users.update_profile(deps(), http.caller(app), body.changes())
    logger.info('profile updated', fields=sorted(body.changes()))
    return UserOut.from_domain(user)


@app.post(
    '/api/users/me/password',
    tags=['users'],
    summary='Change your password',
    description='Needs the current password (403 `wrong_password`; failures count like sign-ins from this '
    'address, then 429); the new one follows the password rules (422 `weak_password`). Every other session of '
    'the account ends at once; this one goes on.',
    responses={204: {'description': 'Changed; every other session of the account has ended'}},
    openapi_extensions=http.problems(
        errors.WrongPassword, errors.WeakPassword, errors.TooManyLoginAttempts, errors.Conflict, errors.NotFound
    ),
)
def change_password(body: PasswordChangeBody) -> Response[None]:
    accounts.change_password(
        deps(),
        http.caller(app),
        body.current_password,
        body.new_password,
        deps().clock(),
        client_ip=http.client_ip(app),
    )
    return Response(status_code=204)


@app.get(
    '/api/users/me/wishlist',
    tags=['users'],
    summary='List your wishlist',
    description="Room types you saved, newest first, with each one's current name and base price.",
)
def get_wishlist() -> WishlistOut:
    items = users.wishlist(deps(), http.caller(app))
    return WishlistOut(items=[WishlistItemOut.from_domain(i.entry, i.room_type) for i in items])


@app.post(
    '/api/users/me/wishlist',
    tags=['users'],
    summary='Save a room type to your wishlist',
    description='Idempotent: a room type already on the list answers 200 with the existing entry.',
    responses={
        200: {'description': 'Already on the wishlist', 'content': {'application/json': {'model': WishlistItemOut}}},
        201: {'description': 'Added', 'content': {'application/json': {'model': WishlistItemOut}}},
    },
    openapi_extensions=http.problems(errors.NotFound),
)
def add_to_wishlist(body: WishlistAddBody) -> Response[WishlistItemOut]:
    item, created = users.add_to_wishlist(deps(), http.caller(app), body.room_type_id, deps().clock())
    return Response(
        status_code=201 if created else 200,
        content_type='application/json',
        body=WishlistItemOut.from_domain(item.entry, item.room_type),
    )


@app.delete(
    '/api/users/me/wishlist/<room_type_id>',
    tags=['users'],
    summary='Remove a room type from your wishlist',
    description='Idempotent: removing a room type that is not on the list also answers 204.',
    responses={204: {'description': 'Not on the wishlist (any more)'}},
)
def remove_from_wishlist(room_type_id: RoomTypeId) -> Response[None]:
    users.remove_from_wishlist(deps(), http.caller(app), room_type_id)
    return Response(status_code=204)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@observability.metrics.log_metrics
@observability.trace_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return http.resolve(app, event, context, deps)
