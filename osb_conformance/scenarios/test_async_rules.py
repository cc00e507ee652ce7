"""Synchronous and asynchronous operations (spec #synchronous-and-asynchronous-operations)
and concurrent requests (ConcurrencyError, spec #service-broker-errors)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pytest

from osb_conformance.absence import (
    DeleteOfUnknown,
    binding_delete_of_unknown,
    instance_delete_of_unknown,
)
from osb_conformance.catalog import Plan
from osb_conformance.checks import CheckRecorder
from osb_conformance.client import BrokerResponse
from osb_conformance.error_checks import ERROR_BODY_REQUIREMENTS, check_error_body
from osb_conformance.expectations import async_required, needs_accepted, needs_asynchronous
from osb_conformance.platform import Instance, Platform, operation_of
from osb_conformance.update_requests import acceptable_update, no_acceptable_update, update_body

requirement = pytest.mark.requirement

SYNC_SUCCESS = {"update": 200, "bind": 201, "unbind": 200, "deprovision": 200}


@dataclass
class _Subject:
    """The instance under test and its bindings, as the requests leave them."""

    instance: Instance
    bindings: list[str] = field(default_factory=list)
    gone: bool = False


def _judge_without_flag(
    check: CheckRecorder, route: str, response: BrokerResponse, flag: bool | None,
    with_flag: Callable[[], BrokerResponse],
) -> None:
    """``with_flag`` sends the same request with accepts_incomplete=true (and waits for it):
    a refusal other than AsyncRequired is an ASY-002 violation only if that is accepted."""
    sent = "absent" if flag is None else "false"
    check("ASY-001", response.status != 202,
          expected=f"no 202 Accepted to {route} with accepts_incomplete {sent}",
          observed=response.describe())
    if 200 <= response.status < 300:
        check("ASY-005", response.status == SYNC_SUCCESS[route],
              expected=f"{SYNC_SUCCESS[route]} for a {route} completed synchronously",
              observed=response.describe())
        return
    check_error_body(check, response)  # first: a misspelt code is an ERR-006 finding
    # A refusal that names AsyncRequired meets the rule; any other refusal is judged by
    # sending the same request with the flag (only then, as it changes the subject).
    flagged = None if async_required(response) else with_flag()
    observed = f"accepts_incomplete {sent}: {response.describe()}"
    if flagged is not None:
        observed += f"; accepts_incomplete=true: {flagged.describe()}"
    check("ASY-002", flagged is None or not 200 <= flagged.status < 300,
          expected=f"422 with error AsyncRequired for a {route} that the broker accepts "
                   f"only with accepts_incomplete=true", observed=observed)


def _update_with_flag(platform: Platform, subject: _Subject, body: dict[str, Any]
                      ) -> BrokerResponse:
    plan = subject.instance.plan
    response = platform.client.update(subject.instance.id, body, True)
    if response.status == 202:
        platform.poll_instance(plan, subject.instance.id, operation_of(response))
    return response


def _bind_with_flag(platform: Platform, subject: _Subject) -> BrokerResponse:
    binding_id, response = platform.bind(subject.instance, accepts_incomplete=True)
    if response.status == 202:
        platform.poll_binding(subject.instance, binding_id, operation_of(response))
    if 200 <= response.status < 300:
        subject.bindings.append(binding_id)
    return response


def _unbind_with_flag(platform: Platform, subject: _Subject) -> BrokerResponse:
    binding_id = subject.bindings[0]
    response = platform.unbind(subject.instance, binding_id, accepts_incomplete=True)
    if response.status == 202:
        result = platform.poll_binding(subject.instance, binding_id, operation_of(response),
                                       deleting=True)
        if result.succeeded:
            platform.ledger.mark_binding_deleted(subject.instance.id, binding_id)
    if 200 <= response.status < 300:
        subject.bindings.remove(binding_id)
    return response


def _deprovision_with_flag(platform: Platform, subject: _Subject) -> BrokerResponse:
    response = platform.deprovision_done(subject.instance)
    subject.gone = 200 <= response.status < 300
    return response


FLAGS = (None, False)  # accepts_incomplete absent, and accepts_incomplete=false


@requirement("ASY-001", "ASY-002", "ASY-005", *ERROR_BODY_REQUIREMENTS)
@pytest.mark.adopts
def test_no_202_without_accepts_incomplete(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    """Update, bind, unbind and deprovision, each without the flag and with it false
    (provision: test_provisioning)."""
    client = platform.client
    subject = _Subject(platform.instance_to_change(plan))
    instance_id = subject.instance.id
    change = acceptable_update(platform, plan)
    if change is None:  # a context-only update could rightly be refused (UPD-014B)
        check.not_applicable("ASY-002", f"update: {no_acceptable_update(plan)}")
    for flag in FLAGS if change else ():
        body = update_body(platform, plan, **change.fields)
        update = client.update(instance_id, body, flag)
        _judge_without_flag(check, "update", update, flag,
                            partial(_update_with_flag, platform, subject, body))
    if plan.bindable:
        for flag in FLAGS:
            binding_id, bind = platform.bind(subject.instance, accepts_incomplete=flag)
            if 200 <= bind.status < 300:
                subject.bindings.append(binding_id)
            _judge_without_flag(check, "bind", bind, flag,
                                partial(_bind_with_flag, platform, subject))
        for flag in FLAGS:
            if not subject.bindings:
                subject.bindings.append(platform.bind_ready(subject.instance).id)
            binding_id = subject.bindings[0]
            unbind = platform.unbind(subject.instance, binding_id, accepts_incomplete=flag)
            if 200 <= unbind.status < 300:
                subject.bindings.remove(binding_id)
            _judge_without_flag(check, "unbind", unbind, flag,
                                partial(_unbind_with_flag, platform, subject))
    for _ in list(subject.bindings):  # a platform unbinds before it deprovisions
        _unbind_with_flag(platform, subject)
    for flag in FLAGS:
        deprovision = platform.deprovision(plan, instance_id, accepts_incomplete=flag)
        subject.gone = 200 <= deprovision.status < 300
        _judge_without_flag(check, "deprovision", deprovision, flag,
                            partial(_deprovision_with_flag, platform, subject))
        if subject.gone:
            break  # nothing left to delete with the other flag


@requirement("ASY-003", "ASY-004")
@pytest.mark.adopts
def test_synchronous_answer_to_accepts_incomplete_means_done(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    """A 200 to a delete sent with accepts_incomplete=true says it is already done."""
    instance = platform.instance_to_change(plan)
    check.info("ASY-004", f"provision with accepts_incomplete=true -> {instance.response.status}")
    if plan.bindable:
        binding = platform.bind_ready(instance)
        check.info("ASY-004", f"bind with accepts_incomplete=true -> {binding.response.status}")
        unbind = platform.unbind(instance, binding.id)
        if unbind.status == 200:
            unknown = binding_delete_of_unknown(platform.client, plan, instance.id)
            again = platform.unbind(instance, binding.id)
            _judge_complete(check, "unbind", "binding", again, unknown)
        elif unbind.status == 202:
            platform.poll_binding(instance, binding.id, operation_of(unbind), deleting=True)
    deprovision = platform.deprovision(plan, instance.id)
    check.info("ASY-004", f"deprovision with accepts_incomplete=true -> {deprovision.status}")
    if deprovision.status == 200:
        unknown = instance_delete_of_unknown(platform.client, plan)
        again = platform.client.deprovision(instance.id, plan.service.id, plan.id, True)
        _judge_complete(check, "deprovision", "instance", again, unknown)


def _judge_complete(check: CheckRecorder, route: str, what: str, again: BrokerResponse,
                    unknown: DeleteOfUnknown) -> None:
    """A second delete after a 200 finds nothing, unless the first was not complete.

    Where the broker answers a delete of a never-created id with 2xx, a 2xx here shows
    only that deviation (DEP-004 / UNB-004 report it), not an incomplete first delete.
    """
    if unknown.proves_nothing and 200 <= again.status < 300:
        check.not_exercised("ASY-003", unknown.reason(what))
        return
    check("ASY-003", unknown.shows_absence(again),
          expected=f"410 Gone: a {route} answered 200 (not 202) was complete",
          observed=again.describe())


def _judge_concurrent(check: CheckRecorder, route: str, running: str,
                      response: BrokerResponse, later: BrokerResponse | None = None) -> None:
    """``later``: the same request sent again once the running operation ended; a refusal
    it repeats was not for the concurrency, and is not judged here."""
    if 200 <= response.status < 300:
        return  # the broker accepted the concurrent request: allowed
    check_error_body(check, response)
    concurrency_error = response.status == 422 and response.error_code == "ConcurrencyError"
    if later is not None and not concurrency_error and not 200 <= later.status < 300:
        check.info("CONC-001", f"a {route} refused while a {running} ran, and again after it "
                               f"ended, so not for the concurrency: {response.describe()}; "
                               f"later: {later.describe()}")
        return
    check("CONC-001", concurrency_error,
          expected=f"a {route} refused while a {running} runs: 422 with error ConcurrencyError",
          observed=response.describe() + (f"; accepted once the {running} ended: "
                                          f"{later.describe()}" if later else ""))


@requirement("CONC-001", "CONC-002", *ERROR_BODY_REQUIREMENTS)
def test_concurrent_requests_are_refused_with_concurrency_error(
    plan: Plan, platform: Platform, check: CheckRecorder
) -> None:
    client = platform.client
    needs_asynchronous(platform, plan, "provision")
    instance_id, provision = platform.provision(plan)
    needs_accepted(plan, provision, "provisions")
    change = acceptable_update(platform, plan)
    body = update_body(platform, plan, **change.fields) if change else None
    update = client.update(instance_id, body, True) if body is not None else None
    if update is None:  # a context-only update could rightly be refused (UPD-014B)
        check.not_applicable("CONC-001", f"update: {no_acceptable_update(plan)}")
    elif 200 <= update.status < 300 or update.error_code == "ConcurrencyError":
        _judge_concurrent(check, "update", "provision", update)
    if update is None or update.status != 202:
        deprovision = client.deprovision(instance_id, plan.service.id, plan.id, True)
        _judge_concurrent(check, "deprovision", "provision", deprovision)
        if deprovision.status in (200, 202):
            return  # the broker let the delete overtake the provision; cleanup follows it
    result = platform.poll_instance(plan, instance_id, operation_of(provision))
    if update is not None and body is not None and not 200 <= update.status < 300 \
            and update.error_code != "ConcurrencyError":
        _judge_refused_update(platform, plan, instance_id, body, update, result.state, check)
    if result.state != "succeeded" or not plan.bindable:
        return
    _overlapping_binds(platform, plan, instance_id, check)


def _judge_refused_update(
    platform: Platform, plan: Plan, instance_id: str, body: dict[str, Any],
    refused: BrokerResponse, provision_state: str | None, check: CheckRecorder,
) -> None:
    """An update refused during the provision without ConcurrencyError: sent again once the
    provision succeeded, it tells whether the refusal was for the concurrency."""
    if provision_state != "succeeded":
        check.info("CONC-001", f"an update refused while the provision ran: "
                               f"{refused.describe()}; the provision ended {provision_state!r}, "
                               f"so whether it was for the concurrency is unknown")
        return
    later = platform.client.update(instance_id, body, True)
    if later.status == 202:
        platform.poll_instance(plan, instance_id, operation_of(later))
    _judge_concurrent(check, "update", "provision", refused, later)


def _overlapping_binds(
    platform: Platform, plan: Plan, instance_id: str, check: CheckRecorder
) -> None:
    instance = Instance(instance_id, plan, True, None, {})  # type: ignore[arg-type]
    binding_id, first = platform.bind(instance)
    if first.status != 202:
        return
    _, second = platform.bind(instance)
    check.info("CONC-002", f"a second bind while the first runs -> {second.describe()}")
    platform.poll_binding(instance, binding_id, operation_of(first))
