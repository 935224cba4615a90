"""The hazard loop: each transition allowed and refused, with history."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from storage.ledger import LedgerError, transition
from storage.numbers import hazard_number
from storage.models import Hazard, HazardEvent, Person, Unit


@pytest.fixture
def world(services, registry):
    with services.sessions.begin() as s:
        other_town = Unit(name="湖东街道", kind="town")
        s.add(other_town)
        s.flush()
        people = {
            "boss": Person(channel="sim", external_id="boss", role="enterprise_head", enterprise_id=registry["enterprise"]),
            "other_boss": Person(channel="sim", external_id="ob", role="enterprise_head", enterprise_id=registry["enterprise2"]),
            "town_staff": Person(channel="sim", external_id="ts", role="staff", unit_id=registry["town"]),
            "dept_staff": Person(channel="sim", external_id="ds", role="staff", unit_id=registry["dept"]),
            "far_staff": Person(channel="sim", external_id="fs", role="staff", unit_id=other_town.id),
            "admin": Person(channel="sim", external_id="ad", role="admin"),
        }
        s.add_all(people.values())
        hz = Hazard(enterprise_id=registry["enterprise"], level="重大", source="企业自查", status="草稿")
        s.add(hz)
        s.flush()
        return {k: p.id for k, p in people.items()} | {"hazard": hz.id}


def act(services, world, who, action, note=""):
    with services.sessions.begin() as s:
        hz = s.get(Hazard, world["hazard"])
        return transition(s, hz, action, person=s.get(Person, world[who]), now=services.clock(), note=note).to_status


def status(services, world):
    with services.sessions() as s:
        return s.get(Hazard, world["hazard"]).status


def test_the_whole_loop_with_history(services, world):
    assert act(services, world, "boss", "登记") == "待整改"
    assert act(services, world, "boss", "整改进展", "已订购新报警器") == "整改中"
    assert act(services, world, "boss", "申请销号", "已安装") == "已整改待核查"
    assert act(services, world, "town_staff", "退回", "报警器未联网") == "整改中"
    assert act(services, world, "boss", "申请销号", "已联网") == "已整改待核查"
    assert act(services, world, "dept_staff", "销号", "现场核查通过") == "已销号"
    with services.sessions() as s:
        events = s.scalars(select(HazardEvent).order_by(HazardEvent.id)).all()
        assert [(e.action, e.from_status, e.to_status) for e in events] == [
            ("登记", "草稿", "待整改"), ("整改进展", "待整改", "整改中"), ("申请销号", "整改中", "已整改待核查"),
            ("退回", "已整改待核查", "整改中"), ("申请销号", "整改中", "已整改待核查"), ("销号", "已整改待核查", "已销号")]
        assert s.get(Hazard, world["hazard"]).closed_at is not None


@pytest.mark.parametrize("who,action,message", [
    ("other_boss", "登记", "不属于您的企业"),
    ("far_staff", "登记", "不在您单位的负责范围内"),
])
def test_refused_actors(services, world, who, action, message):
    with pytest.raises(LedgerError, match=message):
        act(services, world, who, action)
    assert status(services, world) == "草稿"


def test_only_responsible_staff_close_and_only_claimed_hazards(services, world):
    act(services, world, "boss", "登记")
    with pytest.raises(LedgerError, match="不能销号"):
        act(services, world, "admin", "销号")
    act(services, world, "boss", "申请销号")
    for who in ("boss", "far_staff"):
        with pytest.raises(LedgerError, match="核查销号"):
            act(services, world, who, "销号")
    with pytest.raises(LedgerError, match="原因"):
        act(services, world, "town_staff", "退回", "  ")
    assert status(services, world) == "已整改待核查"
    assert act(services, world, "admin", "销号") == "已销号"
    with pytest.raises(LedgerError, match="不能整改进展"):
        act(services, world, "boss", "整改进展")


def test_fixed_at_once_only_from_draft(services, world):
    assert act(services, world, "boss", "即查即改") == "即查即改"
    with pytest.raises(LedgerError):
        act(services, world, "boss", "申请销号")


def test_numbers_count_within_the_month_after_those_already_given(services, world, clock):
    with services.sessions.begin() as s:
        # A ledger numbered before the counter existed: the counter starts above its highest number.
        s.get(Hazard, world["hazard"]).number = "YH-202606-0009"
        s.flush()
        assert hazard_number(s, services.now().date()) == "YH-202606-0010"
        assert hazard_number(s, services.now().date()) == "YH-202606-0011"
        assert hazard_number(s, date(2026, 7, 1)) == "YH-202607-0001"
