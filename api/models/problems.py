"""RFC 9457 problem documents, for the OpenAPI description of every error response."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Problem(BaseModel):
    type: str = Field(
        description="URI of the problem type; `about:blank` when the status says it all",
        examples=["about:blank"],
    )
    title: str = Field(description="Short summary of the problem type", examples=["Not Found"])
    status: int = Field(ge=100, le=599, description="The HTTP status code", examples=[404])
    detail: str = Field(description="What went wrong with this request")
    instance: str = Field(description="The request path", examples=["/api/v1/tokens/x"])


class FieldError(BaseModel):
    field: str = Field(
        description="Where: `query.<name>`, `path.<name>`, `body.<path>`", examples=["query.limit"]
    )
    message: str
    type: str = Field(description="Machine-readable error kind", examples=["less_than_equal"])


class ValidationProblem(Problem):
    errors: list[FieldError] = Field(description="One entry per offending field")
