"""Terms versions and tasks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from annotator.server.deps import C, Me, plain_dict, plain_list

router = APIRouter()


@router.get("/v1/terms", tags=["terms"])
def list_terms(me: Me, c: C) -> list[dict[str, Any]]:
    return plain_list(c.svc.list_terms())


@router.get("/v1/terms/current", tags=["terms"])
def current_terms(me: Me, c: C) -> dict[str, Any]:
    return plain_dict(c.svc.get_terms())


@router.get("/v1/terms/{version}", tags=["terms"])
def get_terms(version: str, me: Me, c: C) -> dict[str, Any]:
    return plain_dict(c.svc.get_terms(version=version))


@router.post("/v1/terms", tags=["terms"], status_code=201)
def publish_terms(me: Me, c: C, version: Annotated[str, Body()],
                  text: Annotated[str, Body()]) -> dict[str, Any]:
    return plain_dict(c.svc.publish_terms(actor=me.actor, version=version, text=text))


@router.get("/v1/tasks", tags=["tasks"])
def list_tasks(me: Me, c: C, include_closed: bool = False) -> list[dict[str, Any]]:
    return plain_list(c.svc.list_tasks(actor=me.actor, include_closed=include_closed))


@router.post("/v1/tasks", tags=["tasks"], status_code=201)
def publish_task(me: Me, c: C, title: Annotated[str, Body()], goal: Annotated[str, Body()],
                 applications: Annotated[tuple[str, ...], Body()] = (),
                 difficulty: Annotated[str, Body()] = "medium",
                 pay_cents: Annotated[int | None, Body()] = None) -> dict[str, Any]:
    return plain_dict(c.svc.publish_task(actor=me.actor, title=title, goal=goal,
                                         applications=list(applications),
                                         difficulty=difficulty, pay_cents=pay_cents))


@router.post("/v1/tasks/{task_id}/close", tags=["tasks"])
def close_task(task_id: int, me: Me, c: C) -> dict[str, Any]:
    return plain_dict(c.svc.close_task(actor=me.actor, task_id=task_id))
