"""The app's event stream: one simulated day of events, vectorised with numpy, as JSONL lines.

Volume comes from per-user rates, not per-event Python loops:

* each user keeps the app for a hidden ``lifetime`` (most sign-ups leave within days, a third stay
  for months); while they keep it they are active on a personal share of days, most days in their
  first week (novelty), more on weekends and while subscribed; a user who left comes back on a
  rare day. Subscribers keep the app while they pay;
* on an active day, sessions (``app_opened``) are 1 + a Poisson draw; within sessions users add
  plants, upload photos and (if not subscribed) hit the paywall; the app sends reminders to users
  who keep it, and completes are done on active days;
* subscription milestones (``trial_started``, ``subscription_started``, ``subscription_canceled``)
  are *not* random here: they come from the app DB's state machine, at the same instant, so the
  event stream and the database agree.

Times: a user's events cluster in their *local* morning and evening. ``occurred_at`` is written with
the device's UTC offset (from :mod:`zoneinfo`, so DST switches appear); ``received_at`` is when the
collector got the event (UTC, ``Z``) - usually seconds later, hours later for offline devices.
A day's file holds the events *received* that day (UTC).
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass

import numpy as np

from microproduct import world
from microproduct.lifecycle import MARKET_ZONES, LifecycleEvent
from microproduct.timeutil import DAY, OffsetTable, day_date, day_start, iso_local, iso_utc
from microproduct.traits import Traits, uniform

TYPE_INDEX = {name: i for i, name in enumerate(world.EVENT_TYPES)}
PLATFORM_NAMES = [name for name, _ in world.PLATFORMS]
RELEASE_DAYS = np.array([d for _, d in world.RELEASES])
RELEASE_NAMES = [v for v, _ in world.RELEASES]

# mean events per session (an active day has 1 + Poisson(EXTRA_SESSIONS x activity) sessions)
EXTRA_SESSIONS = 0.8
PLANTS_PER_SESSION_NEW = 0.35  # first 3 days: setting up the collection
PLANTS_PER_SESSION = 0.05
PHOTOS_PER_SESSION = 0.08
PAYWALL_PER_SESSION = 0.12  # free users only
SUBSCRIBER_BOOST = 1.5  # more sessions on an active day
REMINDERS_PER_DAY = 1.0  # sent to users who keep the app (x1.8 for subscribers)
REMINDER_COMPLETION = 0.30  # share of a day's reminders completed, on an active day


@dataclass
class DayEvents:
    """One day's events as parallel lists, sorted by (received_at, event_id)."""

    event_id: list[str]
    event_type: list[str]
    user_id: list[int]
    occurred_at: list[str]
    received_at: list[str]
    platform: list[str]
    app_version: list[str]
    properties: list[str]  # JSON text, keys sorted
    session_id: list[str]

    def __len__(self) -> int:
        return len(self.event_id)


@dataclass
class Population:
    """The users as arrays (index = user_id - 1) at the end of a simulated day."""

    created: np.ndarray  # epoch seconds
    deleted: np.ndarray  # epoch seconds, -1 = not deleted
    zone: np.ndarray  # index into MARKET_ZONES
    subscribed: np.ndarray  # bool: live subscription
    traits: Traits


def generate_day(
    day: int, seed: int, population: Population, lifecycle: list[LifecycleEvent], rng
) -> DayEvents:
    """All events received on ``day``; ``rng`` is the day's event stream."""
    t0 = day_start(day)
    t1 = t0 + DAY
    n_users = len(population.created)
    ids = np.arange(1, n_users + 1)
    traits = population.traits
    eligible = (population.created < t1) & (population.deleted < 0)
    age = np.clip((t0 - population.created) / DAY, 0, None)
    subscribed = population.subscribed
    fresh = population.created >= t0

    # who is active today: users who keep the app, on a share of days; a rare comeback otherwise
    keeps_app = eligible & ((age < traits.lifetime_days) | subscribed)
    novelty = np.exp(-age / traits.novelty_days)
    share = traits.active_share + (world.NOVELTY_ACTIVE_SHARE - traits.active_share) * novelty
    share = share * np.where(subscribed, world.SUBSCRIBER_ACTIVITY, 1.0)
    if day_date(day).weekday() >= 5:
        share = share * world.WEEKEND_ACTIVITY
    share = np.where(keeps_app, np.minimum(share, 0.97), world.RESURRECT)
    active = eligible & ((rng.random(n_users) < share) | fresh)  # sign-up = first open

    sessions_rate = traits.activity * EXTRA_SESSIONS * np.where(subscribed, SUBSCRIBER_BOOST, 1.0)
    sessions = np.where(active, 1 + rng.poisson(sessions_rate), 0)
    plant_rate = np.where(age < 3, PLANTS_PER_SESSION_NEW, PLANTS_PER_SESSION)
    plants = rng.poisson(sessions * plant_rate)
    photos = rng.poisson(sessions * PHOTOS_PER_SESSION)
    paywall = rng.poisson(sessions * PAYWALL_PER_SESSION * ~subscribed)
    reminder_rate = REMINDERS_PER_DAY * np.where(subscribed, 1.8, 1.0)
    reminders = rng.poisson(np.where(keeps_app & ~fresh, reminder_rate, 0.0))
    completed = rng.binomial(np.where(active, reminders, 0), REMINDER_COMPLETION)

    counts = np.stack([sessions, plants, reminders, completed, photos, paywall], axis=1)
    kinds = np.array([TYPE_INDEX[k] for k in world.EVENT_TYPES[:6]])
    flat = counts.ravel()  # user-major: user 0's six counts, then user 1's, ...
    user_index = np.repeat(np.repeat(np.arange(n_users), len(kinds)), flat)
    type_index = np.repeat(np.tile(kinds, n_users), flat)
    n = len(user_index)

    # when: local morning/evening peaks, shifted to UTC, folded into this UTC day
    offsets_table = OffsetTable(MARKET_ZONES, t0 - DAY, t1 + DAY)
    zone = population.zone[user_index]
    noon_offset = offsets_table.offsets(zone, np.full(n, t0 + DAY // 2, dtype=np.int64))
    morning = rng.random(n) < 0.4
    local = np.where(
        morning, rng.normal(8.5 * 3600, 1.5 * 3600, n), rng.normal(20 * 3600, 2.5 * 3600, n)
    )
    second_of_day = (local.astype(np.int64) - noon_offset) % DAY
    created = population.created[user_index]
    is_fresh = fresh[user_index]
    fresh_start = np.clip(created - t0, 0, DAY - 61)
    fresh_second = fresh_start + (rng.random(n) * (DAY - 60 - fresh_start)).astype(np.int64)
    received = t0 + np.where(is_fresh, fresh_second, second_of_day)
    offline = rng.random(n) < 0.03
    delay = np.where(
        offline, rng.integers(600, 6 * 3600, n), rng.exponential(4.0, n).astype(np.int64) + 1
    )
    occurred = np.maximum(received - delay, created)

    # properties
    species = rng.integers(0, len(world.SPECIES), n)
    reminder = rng.integers(0, len(world.REMINDER_TYPES), n)
    source = rng.integers(0, len(world.PAYWALL_SOURCES), n)
    properties = _properties(type_index, species, reminder, source)

    # subscription milestones, exactly at the app DB's timestamps
    m = len(lifecycle)
    life_users = np.array([e.user_id - 1 for e in lifecycle], dtype=np.int64)
    life_occurred = np.array([e.seconds for e in lifecycle], dtype=np.int64)
    life_received = life_occurred + rng.integers(1, 30, m)
    life_types = np.array([TYPE_INDEX[e.event_type] for e in lifecycle], dtype=np.int64)
    life_props = [
        f'{{"plan_id":"{e.plan_id}","subscription_id":{e.subscription_id}}}' for e in lifecycle
    ]

    user_index = np.concatenate([user_index, life_users])
    type_index = np.concatenate([type_index, life_types])
    occurred = np.concatenate([occurred, life_occurred])
    received = np.concatenate([received, life_received])
    properties = properties + life_props
    total = n + m
    raw_ids = binascii.hexlify(rng.bytes(16 * total)).decode()
    event_ids = np.array([raw_ids[32 * i : 32 * i + 32] for i in range(total)])

    order = np.lexsort((event_ids, received))
    user_index, type_index = user_index[order], type_index[order]
    occurred, received, event_ids = occurred[order], received[order], event_ids[order]
    properties = [properties[i] for i in order.tolist()]
    zone = population.zone[user_index]
    offsets = offsets_table.offsets(zone, occurred)
    version_index = (
        np.searchsorted(RELEASE_DAYS, day - traits.update_lag[user_index], side="right") - 1
    )
    user_ids = ids[user_index]
    session_hash = uniform(seed, user_ids * 10_000 + day, "session")
    return DayEvents(
        event_id=event_ids.tolist(),
        event_type=[world.EVENT_TYPES[i] for i in type_index.tolist()],
        user_id=user_ids.tolist(),
        occurred_at=iso_local(occurred, offsets),
        received_at=iso_utc(received),
        platform=[PLATFORM_NAMES[i] for i in traits.platform[user_index].tolist()],
        app_version=[RELEASE_NAMES[i] for i in version_index.tolist()],
        properties=properties,
        session_id=[f"s{int(h * 2**52):013x}" for h in session_hash.tolist()],
    )


def _properties(type_index, species, reminder, source) -> list[str]:
    """The ``properties`` object of each event, as JSON text (looked up, not formatted per event)."""
    out = np.full(len(type_index), "{}", dtype=object)
    lookups = (
        ("plant_added", species, world.SPECIES, "species"),
        ("reminder_sent", reminder, world.REMINDER_TYPES, "reminder_type"),
        ("reminder_completed", reminder, world.REMINDER_TYPES, "reminder_type"),
        ("paywall_viewed", source, world.PAYWALL_SOURCES, "source"),
    )
    for kind, values, names, key in lookups:
        mask = type_index == TYPE_INDEX[kind]
        table = np.array([f'{{"{key}":"{name}"}}' for name in names], dtype=object)
        out[mask] = table[values[mask]]
    return out.tolist()


def format_lines(events: DayEvents, *, session_column: bool, rename_platform: bool) -> list[str]:
    """Serialise to JSON lines with sorted keys and compact separators (``json.dumps(...,
    sort_keys=True, separators=(",", ":"))`` would give the same text, 10x slower)."""
    platform_key = "os" if rename_platform else "platform"
    columns = zip(
        events.app_version,
        events.event_id,
        events.event_type,
        events.occurred_at,
        events.platform,
        events.properties,
        events.received_at,
        events.session_id,
        events.user_id,
        strict=True,
    )
    return [
        f'{{"app_version":"{version}","event_id":"{event_id}","event_type":"{kind}",'
        f'"occurred_at":"{occurred}","{platform_key}":"{platform}","properties":{props},'
        f'"received_at":"{received}",'
        + (f'"session_id":"{session}",' if session_column else "")
        + f'"user_id":{user_id}}}'
        for version, event_id, kind, occurred, platform, props, received, session, user_id in columns
    ]
