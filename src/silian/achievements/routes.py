"""Achievement pages and REST endpoints: parse the request, call one service, render."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from silian.accounts.models import User
from silian.achievements import choices, service
from silian.achievements.models import Achievement
from silian.achievements.schemas import LABELS, AchievementIn, AchievementOut, AchievementPage
from silian.chains.models import IndustryChain
from silian.core.fields import people_text
from silian.core.pagination import Page
from silian.core.permissions import can
from silian.core.views import RecordViews, api_routes, page_routes
from silian.core.web import int_or_none
from silian.organizations.models import Organization

LIST_FIELDS = ("transfer_modes",)


def _filters(request: Request) -> service.AchievementFilters:
    q = request.query_params
    return service.AchievementFilters(
        q=q.get("q", "").strip(),
        chain_id=int_or_none(q.get("chain")),
        discipline=q.get("discipline", ""),
        trl_min=int_or_none(q.get("trl_min")),
        trl_max=int_or_none(q.get("trl_max")),
        transfer_mode=q.get("mode", ""),
        status=q.get("status", ""),
        organization_id=int_or_none(q.get("org")),
        mine=q.get("mine") == "1",
    )


def _form_context(db: Session, user: User) -> dict[str, Any]:
    orgs: list[Organization] = []
    if service.sees_all_edits(user):
        orgs = list(
            db.scalars(
                select(Organization)
                .where(Organization.kind.in_(("university", "institute", "platform", "enterprise")))
                .order_by(Organization.kind, Organization.name)
            )
        )
    return {
        "chains": list(db.scalars(select(IndustryChain).order_by(IndustryChain.sort_order))),
        "choices": choices,
        "labels": LABELS,
        "organizations": orgs,
    }


def _out(item: Achievement, user: User | None) -> dict[str, Any]:
    data = {c: getattr(item, c) for c in AchievementOut.model_fields if hasattr(item, c)}
    data["organization_name"] = item.organization.name
    # Review remarks are between the office and the publishing unit, as on the detail page.
    if not can(user, "achievement.view_remarks", item):
        data["review_remarks"] = ""
    return data


def _list_context(db: Session, user: User | None, page: Page[Any]) -> dict[str, Any]:
    chains = list(db.scalars(select(IndustryChain).order_by(IndustryChain.sort_order)))
    return {"chains": chains, "choices": choices}


def _detail_context(db: Session, user: User | None, item: Achievement) -> dict[str, Any]:
    return {"choices": choices}


def _form_values(item: Achievement, user: User | None) -> dict[str, Any]:
    values = AchievementOut.model_validate(_out(item, user)).model_dump()
    values["inventors"] = people_text(values["inventors"])
    return values


VIEWS = RecordViews(
    kind=service.KIND,
    noun="成果",
    path="/achievements",
    id_name="achievement_id",
    templates="achievements",
    labels=LABELS,
    filters=_filters,
    list=service.list_achievements,
    get=service.get_achievement,
    create=service.create_achievement,
    create_and_submit=service.create_and_submit_achievement,
    update=service.update_achievement,
    update_and_submit=service.update_and_submit_achievement,
    change_status=service.change_status,
    can_edit=service.can_edit,
    out=_out,
    form_values=_form_values,
    form_context=_form_context,
    list_context=_list_context,
    detail_context=_detail_context,
    list_fields=LIST_FIELDS,
    choice_fields={
        "stage": choices.STAGES,
        "ip_type": choices.IP_TYPES,
        "transfer_modes": choices.TRANSFER_MODES,
        "trade_type": choices.TRADE_TYPES,
        "origin": choices.ORIGINS,
        "source_channel": choices.SOURCE_CHANNELS,
    },
    api_prefix="/api/v1/achievements",
    api_tag="achievements",
    in_schema=AchievementIn,
    out_schema=AchievementOut,
    page_schema=AchievementPage,
)
router = page_routes(VIEWS)
api = api_routes(VIEWS)
