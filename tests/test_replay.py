"""The test fixtures' replayed seeds (tests/replay.py) leave what the commands themselves leave."""

from __future__ import annotations

from django.core.management import call_command
from django.db import transaction

from indicators.models import DataVersion, Plan
from regions.models import Region
from tests import replay as replay_module
from tests.conftest import make_region


def _rows_without_the_version():
    rows = replay_module._rows()
    rows.pop(DataVersion)  # a random number each time the data changes
    return rows


def _load_reference_three_times():
    """Run the replayed load_reference three times from the same empty state, each rolled
    back; return the rows after each and how many times the command really ran."""
    ran = []

    def run():
        ran.append(1)
        call_command("load_reference", verbosity=0)

    states = []
    for _ in range(3):
        with transaction.atomic():
            replay_module.replay("test_replay.load_reference", run)
            states.append(_rows_without_the_version())
            new_region = make_region("990000", "新省")
            states[-1]["new id above the loaded ones"] = new_region.pk > max(
                Region.objects.exclude(pk=new_region.pk).values_list("pk", flat=True)
            )
            transaction.set_rollback(True)
    return states, len(ran)


def test_the_third_time_writes_back_the_rows_the_command_wrote(db):
    states, runs = _load_reference_three_times()
    assert runs == 2  # really run the first two times (the second one recorded), not the third
    assert states[2] == states[0]
    assert states[2]["new id above the loaded ones"] is True
    assert states[2][Region] and states[2][Plan]  # the reference data, not an empty database


def test_another_starting_state_runs_the_command_again(db, django_user_model):
    states, _runs = _load_reference_three_times()
    ran = []
    django_user_model.objects.create_user("before_the_reference")  # load_reference keeps users

    def run():
        ran.append(1)
        call_command("load_reference", verbosity=0)

    replay_module.replay("test_replay.load_reference", run)
    assert ran == [1]  # the recording was made from an empty database, not this one
    assert django_user_model.objects.filter(username="before_the_reference").exists()
    assert Plan.objects.count() == len(states[0][Plan])
