"""The GraphQL API: strawberry schema, resolvers, starlette app, authentication."""

from graphsvc.api.app import create_app
from graphsvc.api.auth import Authenticator, Caller
from graphsvc.api.config import ApiConfig, JwtConfig, Limits
from graphsvc.api.context import RequestContext, Services
from graphsvc.api.schema import build_schema, sdl

__all__ = [
    "ApiConfig",
    "Authenticator",
    "Caller",
    "JwtConfig",
    "Limits",
    "RequestContext",
    "Services",
    "build_schema",
    "create_app",
    "sdl",
]
